// STUN on its own: build a Binding request, answer it as a server would, and read the answer.
import { randomBytes } from "node:crypto";
import { Attr, parseStun, StunBuilder, StunClass, StunMethod, verifyFingerprint } from "petrel/stun";

const request = new StunBuilder(StunMethod.Binding, StunClass.Request, randomBytes(12)).finish({ fingerprint: true });
const req = parseStun(request);
if (!req.ok || !verifyFingerprint(req.msg)) throw new Error("bad request");
const response = new StunBuilder(StunMethod.Binding, StunClass.Success, req.msg.transactionId)
  .addAddress(Attr.XorMappedAddress, { address: "203.0.113.5", port: 40000 })
  .finish({ fingerprint: true });
const res = parseStun(response);
console.log(res.ok && res.msg.getAddress(Attr.XorMappedAddress)); // { address: '203.0.113.5', port: 40000 }
