// DTLS 1.2 on its own over UDP: a server that echoes, and a client, each checking the other's
// certificate fingerprint.
import { connect, createServer, generateCertificate } from "petrel/dtls";

const serverCert = generateCertificate();
const clientCert = generateCertificate();
const server = createServer({ certificate: serverCert, remoteFingerprint: clientCert.fingerprints() }, (conn) => {
  conn.on("message", (m) => conn.send(m)); // echo
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  const client = connect({
    host: "127.0.0.1",
    port,
    certificate: clientCert,
    remoteFingerprint: serverCert.fingerprints(),
  });
  client.on("connect", () => client.send("hello over DTLS"));
  client.on("message", (m) => {
    console.log(m.toString(), client.cipherSuite);
    client.close();
    server.close();
  });
});
