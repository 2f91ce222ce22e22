// The Petrel demo page's script (plain browser JavaScript, no build step). It joins a signaling
// room over WebSocket, offers a connection to the Node peer the server puts in the room, then runs
// a chat, file transfers both ways with flow control (bufferedAmountLowThreshold), a camera and
// microphone echoed back by the Node peer (and recorded there to WebM on request), and live stats
// from both ends (ours from getStats(), Node's sent over the data channel). The page is always the
// offerer: every change (the first data channel, adding the camera) goes through negotiationneeded
// -> offer -> the Node peer's answer, one negotiation at a time.

const CHUNK = 16 * 1024;
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

const $ = (id) => document.getElementById(id);
let pc;
let control;
let ws;
let botId;
let remoteSet = false;
const pendingCandidates = [];
let localStream;
const remoteStream = new MediaStream();
let negotiating = false;
let negotiateAgain = false;
let nodeStats = [];
const lastSample = { browser: undefined, node: undefined };
const lastMedia = { browser: undefined, node: undefined };

function setText(id, text) {
  $(id).textContent = text;
}

function chatLine(kind, text) {
  const li = document.createElement("li");
  li.className = kind;
  li.textContent = text;
  $("chat-log").append(li);
  li.scrollIntoView({ block: "nearest" });
}

function status(text, state) {
  setText("status", text);
  if (state) $("status").dataset.state = state;
}

function sendSignal(msg) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ ...msg, to: botId }));
}

function roomName() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `room-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function connectSignaling() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  ws = new WebSocket(`${scheme}://${location.host}/signal`);
  ws.onopen = () => ws.send(JSON.stringify({ type: "join", room: roomName() }));
  ws.onclose = () => status("Signaling closed.", pc?.connectionState === "connected" ? "connected" : "closed");
  ws.onmessage = async (e) => {
    const msg = JSON.parse(e.data);
    if (msg.type === "welcome") {
      status("Waiting for the Node peer…", "new");
      if (msg.peers.length) startCall(msg.peers[0]);
    } else if (msg.type === "peer-joined" && !botId) {
      startCall(msg.id);
    } else if (msg.type === "answer" && msg.from === botId) {
      await pc.setRemoteDescription({ type: "answer", sdp: msg.sdp });
      remoteSet = true;
      for (const c of pendingCandidates.splice(0)) await pc.addIceCandidate(c);
      negotiating = false;
      if (negotiateAgain) negotiate();
    } else if (msg.type === "candidate" && msg.from === botId) {
      const c = msg.candidate ?? undefined;
      if (!remoteSet) pendingCandidates.push(c);
      else await pc.addIceCandidate(c);
    } else if (msg.type === "message" && msg.error) {
      chatLine("system", msg.error);
    } else if (msg.type === "peer-left" && msg.id === botId) {
      status("The Node peer left.", "closed");
    } else if (msg.type === "error") {
      chatLine("system", `signaling: ${msg.reason}`);
    }
  };
}

/** Sends an offer for whatever changed; a change during a negotiation waits for its answer. */
async function negotiate() {
  if (negotiating || pc.signalingState !== "stable") {
    negotiateAgain = true;
    return;
  }
  negotiating = true;
  negotiateAgain = false;
  try {
    await pc.setLocalDescription();
    sendSignal({ type: "offer", sdp: pc.localDescription.sdp });
  } catch (err) {
    negotiating = false;
    chatLine("system", `negotiation failed: ${err.message}`);
  }
}

function startCall(id) {
  botId = id;
  pc = new RTCPeerConnection();
  pc.onnegotiationneeded = negotiate;
  pc.ontrack = (e) => {
    // The Node peer's echo: its own stream id; show its tracks in the remote <video>.
    remoteStream.addTrack(e.track);
    e.track.onended = () => remoteStream.removeTrack(e.track);
    const video = $("remote-video");
    if (video.srcObject !== remoteStream) video.srcObject = remoteStream;
    video.play().catch(() => {});
  };
  pc.onicecandidate = (e) => sendSignal({ type: "candidate", candidate: e.candidate ? e.candidate.toJSON() : null });
  const showStates = () => {
    setText("st-signaling", pc.signalingState);
    setText("st-ice", pc.iceConnectionState);
    setText("st-connection", pc.connectionState);
    const s = pc.connectionState;
    if (s === "connected") status("Connected to Petrel in Node.js.", "connected");
    else if (s === "failed" || s === "closed") status(`Connection ${s}.`, s);
    else status(`Connection ${s}…`, s);
  };
  pc.onsignalingstatechange = showStates;
  pc.oniceconnectionstatechange = showStates;
  pc.onconnectionstatechange = showStates;
  control = pc.createDataChannel("control");
  control.onopen = () => {
    for (const id of ["chat-input", "chat-send", "file-input", "download-button", "camera-button"])
      $(id).disabled = false;
    document.body.dataset.ready = "true";
    chatLine("system", "Data channel open. Say hello!");
    setInterval(pollStats, 1000);
    pollStats();
  };
  control.onclose = () => chatLine("system", "Data channel closed.");
  control.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.type === "chat") chatLine("petrel", msg.text);
    else if (msg.type === "stats") nodeStats = msg.report;
    else if (msg.type === "recording") recording(msg);
  };
  showStates();
}

/** Camera and microphone to the Node peer, which sends them back (see ontrack). */
async function startCamera() {
  $("camera-button").disabled = true;
  try {
    localStream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
  } catch (err) {
    $("camera-button").disabled = false;
    chatLine("system", `camera: ${err.message}`);
    return;
  }
  $("local-video").srcObject = localStream;
  for (const track of localStream.getTracks()) pc.addTrack(track, localStream);
  $("camera-button").textContent = "Camera on";
  $("record-button").disabled = false;
}

$("camera-button").addEventListener("click", () => {
  startCamera();
});

$("record-button").addEventListener("click", () => {
  $("record-button").disabled = true;
  $("record-result").textContent = "";
  control.send(JSON.stringify({ type: "record", action: "start" }));
});

$("record-stop-button").addEventListener("click", () => {
  $("record-stop-button").disabled = true;
  setText("record-status", "finishing…");
  control.send(JSON.stringify({ type: "record", action: "stop" }));
});

/** The Node peer's answers about recording: started, stopped (with the file), error. */
function recording(msg) {
  const result = $("record-result");
  if (msg.state === "started") {
    setText("record-status", "● recording");
    $("record-stop-button").disabled = false;
    return;
  }
  setText("record-status", "");
  $("record-button").disabled = false;
  $("record-stop-button").disabled = true;
  if (msg.state === "error") {
    result.dataset.ok = "false";
    result.textContent = `✘ Recording failed: ${msg.error}`;
    return;
  }
  result.dataset.ok = "true";
  result.dataset.name = msg.name;
  const link = document.createElement("a");
  link.href = msg.url;
  link.download = msg.name;
  link.textContent = msg.name;
  result.replaceChildren(
    "✔ Node recorded ",
    link,
    `: ${(msg.size / 1024).toFixed(0)} KiB, ${(msg.durationMs / 1000).toFixed(1)} s, ` +
      `${msg.videoFrames} video + ${msg.audioFrames} audio frames (${msg.codecs.join(" + ")})`,
  );
}

$("chat-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("chat-input").value.trim();
  if (!text || control?.readyState !== "open") return;
  control.send(JSON.stringify({ type: "chat", text }));
  chatLine("me", text);
  $("chat-input").value = "";
});

function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
}

function mbps(bytes, ms) {
  return ms > 0 ? (bytes / (1024 * 1024) / (ms / 1000)).toFixed(2) : "-";
}

function opened(ch) {
  if (ch.readyState === "open") return Promise.resolve();
  return new Promise((resolve, reject) => {
    ch.addEventListener("open", () => resolve(), { once: true });
    ch.addEventListener("close", () => reject(new Error("channel closed")), { once: true });
  });
}

/** Sends a file in chunks, waiting for bufferedamountlow whenever the send buffer is above HIGH_WATER. */
async function upload(file) {
  const progress = $("upload-progress");
  const result = $("upload-result");
  result.textContent = "";
  result.dataset.ok = "";
  const buf = await file.arrayBuffer();
  const localHash = hex(await crypto.subtle.digest("SHA-256", buf));
  const ch = pc.createDataChannel("upload");
  ch.binaryType = "arraybuffer";
  ch.bufferedAmountLowThreshold = LOW_WATER;
  await opened(ch);
  let acked = 0;
  const done = new Promise((resolve) => {
    ch.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.type === "progress") acked = msg.bytes;
      else if (msg.type === "done") resolve(msg);
    };
  });
  const start = performance.now();
  let offset = 0;
  const timer = setInterval(() => {
    const delivered = Math.max(acked, offset - ch.bufferedAmount);
    progress.value = buf.byteLength ? delivered / buf.byteLength : 1;
    setText(
      "upload-rate",
      `${(delivered / 1048576).toFixed(1)} MiB sent · ${mbps(delivered, performance.now() - start)} MB/s`,
    );
  }, 100);
  ch.send(JSON.stringify({ name: file.name, size: buf.byteLength }));
  while (offset < buf.byteLength) {
    if (ch.bufferedAmount > HIGH_WATER) {
      await new Promise((resolve) => ch.addEventListener("bufferedamountlow", resolve, { once: true }));
    }
    const end = Math.min(offset + CHUNK, buf.byteLength);
    ch.send(buf.slice(offset, end));
    offset = end;
  }
  const msg = await done;
  clearInterval(timer);
  const ms = performance.now() - start;
  progress.value = 1;
  setText(
    "upload-rate",
    `${(buf.byteLength / 1048576).toFixed(2)} MiB in ${(ms / 1000).toFixed(2)} s · ${mbps(buf.byteLength, ms)} MB/s`,
  );
  const ok = msg.sha256 === localHash && msg.bytes === buf.byteLength;
  result.dataset.ok = String(ok);
  result.dataset.sha256 = msg.sha256;
  result.textContent = ok
    ? `✔ Node received ${msg.bytes} bytes; SHA-256 matches: ${msg.sha256}`
    : `✘ Mismatch: Node has ${msg.sha256} (${msg.bytes} bytes), browser has ${localHash}`;
  ch.close();
}

$("file-input").addEventListener("change", () => {
  const file = $("file-input").files[0];
  if (file) upload(file).catch((err) => chatLine("system", `upload failed: ${err.message}`));
});

async function download(size) {
  const progress = $("download-progress");
  const result = $("download-result");
  result.textContent = "";
  result.dataset.ok = "";
  const ch = pc.createDataChannel("download");
  ch.binaryType = "arraybuffer";
  await opened(ch);
  const chunks = [];
  let received = 0;
  const start = performance.now();
  const done = new Promise((resolve) => {
    ch.onmessage = (e) => {
      if (typeof e.data === "string") {
        resolve(JSON.parse(e.data));
        return;
      }
      chunks.push(e.data);
      received += e.data.byteLength;
      progress.value = received / size;
    };
  });
  const timer = setInterval(() => {
    setText(
      "download-rate",
      `${(received / 1048576).toFixed(1)} MiB received · ${mbps(received, performance.now() - start)} MB/s`,
    );
  }, 100);
  ch.send(JSON.stringify({ size }));
  const msg = await done;
  clearInterval(timer);
  const ms = performance.now() - start;
  setText(
    "download-rate",
    `${(received / 1048576).toFixed(2)} MiB in ${(ms / 1000).toFixed(2)} s · ${mbps(received, ms)} MB/s`,
  );
  const localHash = hex(await crypto.subtle.digest("SHA-256", await new Blob(chunks).arrayBuffer()));
  const ok = localHash === msg.sha256 && received === msg.bytes;
  result.dataset.ok = String(ok);
  result.textContent = ok
    ? `✔ Received ${received} bytes; SHA-256 matches Node's: ${localHash}`
    : `✘ Mismatch: got ${received} bytes with ${localHash}, Node sent ${msg.bytes} with ${msg.sha256}`;
  ch.close();
}

$("download-button").addEventListener("click", () => {
  const size = Number($("download-size").value);
  download(size).catch((err) => chatLine("system", `download failed: ${err.message}`));
});

/** The interesting fields of a stats report (browser's RTCStatsReport or Node's array). */
function summarize(stats, side) {
  const list = Array.isArray(stats) ? stats : Array.from(stats.values());
  const byId = new Map(list.map((s) => [s.id, s]));
  const transport = list.find((s) => s.type === "transport");
  let pair = transport?.selectedCandidatePairId ? byId.get(transport.selectedCandidatePairId) : undefined;
  pair ??= list.find((s) => s.type === "candidate-pair" && (s.selected || (s.nominated && s.state === "succeeded")));
  const cand = (id) => {
    const c = id ? byId.get(id) : undefined;
    if (!c) return "-";
    const addr = c.address || c.ip || "(hidden by mDNS)";
    return `${addr.includes(":") ? `[${addr}]` : addr}:${c.port} ${c.candidateType} ${c.protocol}`;
  };
  let dcBytesSent = 0;
  let dcBytesReceived = 0;
  let dcMessages = 0;
  for (const s of list) {
    if (s.type !== "data-channel") continue;
    dcBytesSent += s.bytesSent ?? 0;
    dcBytesReceived += s.bytesReceived ?? 0;
    dcMessages += (s.messagesSent ?? 0) + (s.messagesReceived ?? 0);
  }
  const bytesSent = transport?.bytesSent ?? pair?.bytesSent ?? 0;
  const bytesReceived = transport?.bytesReceived ?? pair?.bytesReceived ?? 0;
  const now = performance.now();
  const prev = lastSample[side];
  lastSample[side] = { now, bytesSent, bytesReceived };
  const rate = (cur, old) => (prev ? mbps(Math.max(0, cur - old), now - prev.now) : "-");
  const rtt = pair?.currentRoundTripTime;
  return [
    ["bytes sent", `${bytesSent.toLocaleString()} (${rate(bytesSent, prev?.bytesSent)} MB/s)`],
    ["bytes received", `${bytesReceived.toLocaleString()} (${rate(bytesReceived, prev?.bytesReceived)} MB/s)`],
    ["RTT", rtt === undefined ? "-" : `${(rtt * 1000).toFixed(1)} ms`],
    ["local candidate", cand(pair?.localCandidateId)],
    ["remote candidate", cand(pair?.remoteCandidateId)],
    ["ICE role", transport?.iceRole ?? "-"],
    ["DTLS", `${transport?.dtlsState ?? "-"} ${dtlsVersion(transport?.tlsVersion)} ${transport?.dtlsRole ?? ""}`],
    ["cipher", transport?.dtlsCipher ?? "-"],
    ["data channel bytes", `${dcBytesSent.toLocaleString()} out / ${dcBytesReceived.toLocaleString()} in`],
    ["data channel messages", dcMessages.toLocaleString()],
    ...mediaRows(list, side, now),
  ];
}

/** Per kind and direction: frames (video) or packets (audio) and the bitrate since the last poll. */
function mediaRows(list, side, now) {
  const rows = [];
  const prev = lastMedia[side];
  const next = {};
  for (const [type, dir] of [
    ["inbound-rtp", "in"],
    ["outbound-rtp", "out"],
  ]) {
    for (const kind of ["video", "audio"]) {
      const streams = list.filter((s) => s.type === type && s.kind === kind);
      if (streams.length === 0) continue;
      const key = `${kind} ${dir}`;
      let bytes = 0;
      let frames = 0;
      let packets = 0;
      for (const s of streams) {
        bytes += (dir === "in" ? s.bytesReceived : s.bytesSent) ?? 0;
        frames += (dir === "in" ? s.framesDecoded : s.framesSent) ?? 0;
        packets += (dir === "in" ? s.packetsReceived : s.packetsSent) ?? 0;
      }
      next[key] = bytes;
      const old = prev?.bytes[key];
      const kbps =
        old !== undefined && now > prev.now ? `${(((bytes - old) * 8) / (now - prev.now)).toFixed(0)} kbit/s` : "-";
      const count = kind === "video" ? `${frames.toLocaleString()} frames` : `${packets.toLocaleString()} packets`;
      rows.push([`${key} (${type})`, `${count} · ${kbps}`]);
    }
  }
  lastMedia[side] = { now, bytes: next };
  return rows;
}

/** RTCTransportStats.tlsVersion is the wire version in hex. */
function dtlsVersion(v) {
  const names = { FEFD: "DTLS 1.2", FEFC: "DTLS 1.3", FEFF: "DTLS 1.0" };
  return v ? (names[String(v).toUpperCase()] ?? v) : "";
}

function render(id, rows) {
  const dl = $(id);
  dl.replaceChildren();
  for (const [k, v] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v;
    dl.append(dt, dd);
  }
}

async function pollStats() {
  if (!pc || pc.connectionState === "closed") return;
  render("stats-browser", summarize(await pc.getStats(), "browser"));
  render("stats-node", summarize(nodeStats, "node"));
  if (control?.readyState === "open") control.send(JSON.stringify({ type: "stats" }));
}

// For tests and the console: the page's RTCPeerConnection.
window.petrelDemo = {
  get pc() {
    return pc;
  },
};

connectSignaling();
