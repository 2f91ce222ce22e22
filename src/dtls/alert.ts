// Alert protocol (RFC 5246 7.2, RFC 6347 4.1.2.7): levels, the descriptions DTLS 1.2 uses, and
// their names for failure reasons.

export const ALERT_WARNING = 1;
export const ALERT_FATAL = 2;

export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  user_canceled: 90,
  no_renegotiation: 100,
  unsupported_extension: 110,
  certificate_required: 116,
} as const;

export function alertName(description: number): string {
  for (const [name, code] of Object.entries(AlertDescription)) if (code === description) return name;
  return `alert_${description}`;
}
