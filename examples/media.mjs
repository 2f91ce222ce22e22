// Media between two peers in one process: a WebM file played into tracks, recorded on the other side.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MediaStream, RTCPeerConnection } from "petrel";
import { playFile, recordTrack } from "petrel/nonstandard";

const sender = new RTCPeerConnection();
const receiver = new RTCPeerConnection();
sender.onicecandidate = (e) => e.candidate && receiver.addIceCandidate(e.candidate);
receiver.onicecandidate = (e) => e.candidate && sender.addIceCandidate(e.candidate);

const file = await playFile("examples/sample.webm"); // VP8 + Opus, 1 s
const stream = new MediaStream([file.video, file.audio]);
for (const track of stream.getTracks()) sender.addTrack(track, stream);

const recorders = [];
receiver.ontrack = ({ track }) => {
  recorders.push([track.kind, recordTrack(track, join(tmpdir(), `petrel-${track.kind}.webm`))]);
};
receiver.onconnectionstatechange = () => {
  if (receiver.connectionState === "connected") file.start(); // real-time pacing from timestamps
};

await sender.setLocalDescription(await sender.createOffer());
await receiver.setRemoteDescription(sender.localDescription);
await receiver.setLocalDescription(await receiver.createAnswer());
await sender.setRemoteDescription(receiver.localDescription);

await file.done;
await new Promise((r) => setTimeout(r, 200)); // the last packets in flight
for (const [kind, recorder] of recorders) {
  const { frames } = await recorder.stop();
  console.log(`${kind}: ${frames} frames recorded`); // video: 10, audio: 51
}
sender.close();
receiver.close();
