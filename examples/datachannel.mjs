// Two RTCPeerConnections in one process: offer/answer, trickle ICE, a data channel, an echo.
import { RTCPeerConnection } from "petrel";

const alice = new RTCPeerConnection();
const bob = new RTCPeerConnection();
alice.onicecandidate = (e) => e.candidate && bob.addIceCandidate(e.candidate);
bob.onicecandidate = (e) => e.candidate && alice.addIceCandidate(e.candidate);

bob.ondatachannel = ({ channel }) => {
  channel.onmessage = (e) => channel.send(`echo: ${e.data}`);
};
const channel = alice.createDataChannel("chat");
channel.onopen = () => channel.send("hello");
channel.onmessage = (e) => {
  console.log(e.data); // "echo: hello"
  alice.close();
  bob.close();
};

await alice.setLocalDescription(await alice.createOffer());
await bob.setRemoteDescription(alice.localDescription);
await bob.setLocalDescription(await bob.createAnswer());
await alice.setRemoteDescription(bob.localDescription);
