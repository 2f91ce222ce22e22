// Ogg Opus files (RFC 7845 over RFC 3533): a streaming reader that finds the Opus logical
// stream (BOS page with OpusHead, then OpusTags; section 3), reassembles packets across pages
// (lacing, continued flag) and gives each packet its 48 kHz timestamp from the page granule
// positions (section 4: start granule on the first audio page, end trimming on the EOS page);
// and a writer that pages packets with granule positions, fills timestamp gaps with empty
// (TOC-only) Opus packets so granules stay right, and ends with an EOS page.
import { randomBytes } from "node:crypto";
import { opusFrameSamples, opusPacketSamples } from "../codecs/opus.js";
import { type ByteSink, OrderedSink } from "./io.js";
import {
  OGG_FLAG_BOS,
  OGG_FLAG_CONTINUED,
  OGG_FLAG_EOS,
  type OggPage,
  OggPageReader,
  type OggPageReaderStats,
  writeOggPage,
} from "./ogg.js";
import {
  isOpusHead,
  type OpusHead,
  type OpusTags,
  parseOpusHead,
  parseOpusTags,
  writeOpusHead,
  writeOpusTags,
} from "./opus-head.js";
import {
  ContainerError,
  type ContainerReader,
  type EncodedFrame,
  type ReaderEvent,
  TimestampUnwrapper,
} from "./types.js";

export interface OggOpusHeader {
  head: OpusHead;
  /** Undefined when the comment header was missing or too large to keep. */
  tags: OpusTags | undefined;
  serial: number;
}

export interface OggOpusReaderStats extends OggPageReaderStats {
  /** Pages of the Opus stream missing (sequence gaps). */
  lostPages: number;
  /** Packets dropped: cut by a lost page, or larger than maxPacketSize. */
  droppedPackets: number;
}

export interface OggOpusReaderOptions {
  /** Larger packets (including OpusTags) are dropped. Default 1 MiB. */
  maxPacketSize?: number;
}

type Ev = ReaderEvent<OggOpusHeader, EncodedFrame>;

/**
 * A push parser for Ogg Opus. Frame timestamps are granule positions at the packet's start
 * (48 kHz, so the first packet of a normal file is at 0; the first `head.preSkip` decoded
 * samples are to be discarded). Every Opus packet is a keyframe.
 */
export class OggOpusReader implements ContainerReader<OggOpusHeader, EncodedFrame> {
  private readonly pages: OggPageReader;
  private readonly maxPacketSize: number;
  private phase: "head" | "tags" | "audio" | "done";
  private serial: number;
  private head: OpusHead | undefined;
  private expectedSequence: number;
  private partial: Uint8Array[];
  private partialLength: number;
  private dropping: boolean;
  private nextStart: number;
  /** Audio packets of the current page, until the page's granule gives their times. */
  private pagePackets: Uint8Array[];
  private readonly out: Ev[];
  private outHead: number;
  readonly stats: OggOpusReaderStats;
  constructor(opts: OggOpusReaderOptions = {}) {
    this.pages = new OggPageReader();
    this.maxPacketSize = opts.maxPacketSize ?? 1024 * 1024;
    this.phase = "head";
    this.serial = -1;
    this.head = undefined;
    this.expectedSequence = 0;
    this.partial = [];
    this.partialLength = 0;
    this.dropping = false;
    this.nextStart = -1;
    this.pagePackets = [];
    this.out = [];
    this.outHead = 0;
    this.stats = { ...this.pages.stats, lostPages: 0, droppedPackets: 0 };
  }
  push(chunk: Uint8Array): void {
    if (this.phase !== "done") this.pages.push(chunk);
  }
  finish(): void {
    this.pages.finish();
  }
  private emit(ev: Ev): void {
    this.out.push(ev);
  }
  private fail(reason: string): void {
    this.phase = "done";
    this.emit({ type: "error", error: { reason, offset: this.pages.offset } });
  }
  poll(): Ev | undefined {
    for (;;) {
      if (this.outHead < this.out.length) {
        const ev = this.out[this.outHead++]!;
        if (this.outHead === this.out.length) {
          this.out.length = 0;
          this.outHead = 0;
        }
        return ev;
      }
      if (this.phase === "done") return undefined;
      if (this.pages.overflow) {
        this.fail("buffer-overflow");
        continue;
      }
      const page = this.pages.poll();
      this.stats.crcErrors = this.pages.stats.crcErrors;
      this.stats.skippedBytes = this.pages.stats.skippedBytes;
      if (!page) {
        if (!this.pages.ended) return undefined;
        if (this.phase === "head") this.fail("no-opus-stream");
        else if (this.phase === "tags") this.fail("truncated-headers");
        else {
          this.phase = "done";
          this.emit({ type: "end" });
        }
        continue;
      }
      this.handlePage(page);
    }
  }
  private handlePage(page: OggPage): void {
    if (this.phase === "head") {
      if ((page.flags & OGG_FLAG_BOS) === 0 || page.segments.length === 0) return;
      const first = page.segments[0]!;
      if (first === 255) return;
      const pkt = page.body.subarray(0, first);
      if (!isOpusHead(pkt)) return; // another codec's stream: ignored
      const head = parseOpusHead(pkt);
      if ("reason" in head) {
        this.fail(head.reason);
        return;
      }
      this.head = head;
      this.serial = page.serial;
      this.expectedSequence = page.sequence + 1;
      this.phase = "tags";
      return;
    }
    if (page.serial !== this.serial) return;
    if (page.sequence !== this.expectedSequence) {
      this.stats.lostPages++;
      if (this.partialLength > 0 || this.dropping) this.stats.droppedPackets++;
      this.resetPartial();
      this.dropping = (page.flags & OGG_FLAG_CONTINUED) !== 0;
    } else if ((page.flags & OGG_FLAG_CONTINUED) === 0 && (this.partialLength > 0 || this.dropping)) {
      this.stats.droppedPackets++;
      this.resetPartial();
    }
    this.expectedSequence = (page.sequence + 1) >>> 0;
    const packets: Uint8Array[] = [];
    let o = 0;
    let start = 0;
    const segs = page.segments;
    for (let i = 0; i < segs.length; i++) {
      const lace = segs[i]!;
      o += lace;
      if (lace === 255) continue;
      const piece = page.body.subarray(start, o);
      start = o;
      const pkt = this.completePacket(piece);
      if (pkt) packets.push(pkt);
    }
    if (start < o || (segs.length > 0 && segs[segs.length - 1] === 255)) this.addPartial(page.body.subarray(start, o));
    for (const pkt of packets) this.handlePacket(pkt);
    if (this.phase === "audio") this.timestampPage(page);
    if ((page.flags & OGG_FLAG_EOS) !== 0 && this.phase !== "done") {
      if (this.phase === "tags") {
        this.fail("truncated-headers");
        return;
      }
      this.pagePackets = [];
      this.phase = "done";
      this.emit({ type: "end" });
    }
  }
  private resetPartial(): void {
    this.partial = [];
    this.partialLength = 0;
    this.dropping = false;
  }
  private addPartial(piece: Uint8Array): void {
    if (this.dropping) return;
    if (this.partialLength + piece.length > this.maxPacketSize) {
      this.partial = [];
      this.partialLength = 0;
      this.dropping = true;
      return;
    }
    this.partial.push(piece.slice());
    this.partialLength += piece.length;
  }
  /** Ends a packet with its last piece; undefined when the packet was being dropped. */
  private completePacket(piece: Uint8Array): Uint8Array | undefined {
    if (this.dropping) {
      this.stats.droppedPackets++;
      this.resetPartial();
      if (this.phase === "tags") this.finishHeaders(undefined);
      return undefined;
    }
    if (this.partialLength === 0) return piece.slice();
    const total = this.partialLength + piece.length;
    if (total > this.maxPacketSize) {
      this.stats.droppedPackets++;
      this.resetPartial();
      if (this.phase === "tags") this.finishHeaders(undefined);
      return undefined;
    }
    const pkt = new Uint8Array(total);
    let p = 0;
    for (const part of this.partial) {
      pkt.set(part, p);
      p += part.length;
    }
    pkt.set(piece, p);
    this.resetPartial();
    return pkt;
  }
  private finishHeaders(tags: OpusTags | undefined): void {
    this.emit({ type: "header", header: { head: this.head!, tags, serial: this.serial } });
    this.phase = "audio";
  }
  private handlePacket(pkt: Uint8Array): void {
    if (this.phase === "tags") {
      const tags = parseOpusTags(pkt);
      this.finishHeaders("reason" in tags ? undefined : tags);
      return;
    }
    if (this.phase === "audio") this.pagePackets.push(pkt);
  }
  private timestampPage(page: OggPage): void {
    const pkts = this.pagePackets;
    if (pkts.length === 0) return;
    const durations = pkts.map(opusPacketSamples);
    let sum = 0;
    for (const d of durations) sum += d;
    // A page's completed packets end at its granule position (RFC 7845 section 4), which also
    // re-anchors the timeline after a lost page. The EOS page may end early (end trimming), so
    // its packets continue from the previous page instead.
    const eos = (page.flags & OGG_FLAG_EOS) !== 0 && page.granule >= 0;
    let t = this.nextStart;
    if (eos) {
      if (t < 0) t = 0;
    } else if (page.granule >= 0) t = Math.max(0, page.granule - sum);
    else if (t < 0) t = 0;
    for (let i = 0; i < pkts.length; i++) {
      let d = durations[i]!;
      if (eos && i === pkts.length - 1) d = Math.max(0, Math.min(d, page.granule - t));
      this.emit({ type: "frame", frame: { data: pkts[i]!, timestamp: t, keyframe: true, duration: d } });
      t += durations[i]!;
    }
    this.nextStart = t;
    this.pagePackets = [];
  }
}

export interface OggOpusWriterOptions {
  channels?: number;
  /** Samples (48 kHz) the decoder discards at the start: the encoder's lookahead. Default 0. */
  preSkip?: number;
  inputSampleRate?: number;
  outputGain?: number;
  /** Full OpusHead fields for multichannel (mapping family 1). */
  head?: Partial<OpusHead>;
  tags?: OpusTags;
  /** The logical stream serial; default random. */
  serial?: number;
  /** A page is closed once it holds this much audio (ms). Default 1000; live streams use less. */
  maxPageDuration?: number;
  /** Insert empty Opus packets (decoded as packet-loss concealment) where timestamps jump. Default true. */
  fillGaps?: boolean;
}

const MAX_GAP_FILL_SAMPLES = 48_000 * 60;

/** Writes an Ogg Opus stream to a sink. Timestamps are 48 kHz; the first frame written is at 0. */
export class OggOpusWriter {
  private readonly out: OrderedSink;
  private readonly serial: number;
  private readonly headBytes: Uint8Array;
  private readonly tagsBytes: Uint8Array;
  private readonly maxPageSamples: number;
  private readonly fillGaps: boolean;
  private sequence: number;
  private started: boolean;
  private closed: boolean;
  private firstTimestamp: number;
  /** Samples written so far: the granule position after the last packet. */
  granule: number;
  private segments: number[];
  private body: Uint8Array[];
  private pageGranule: number;
  private pageSamples: number;
  private continued: boolean;
  packetCount: number;
  private endTrim: number;
  private readonly unwrapper: TimestampUnwrapper;
  constructor(sink: ByteSink, opts: OggOpusWriterOptions = {}) {
    const channels = opts.head?.channels ?? opts.channels ?? 2;
    if (!(channels >= 1 && channels <= 255)) throw new ContainerError("bad-channels", "channels must be 1..255");
    if ((opts.head?.mappingFamily ?? 0) === 0 && channels > 2) {
      throw new ContainerError("bad-channels", "more than 2 channels need mapping family 1 (opts.head)");
    }
    this.out = new OrderedSink(sink);
    this.serial = (opts.serial ?? randomBytes(4).readUInt32BE(0)) >>> 0;
    this.headBytes = writeOpusHead({
      ...opts.head,
      channels,
      preSkip: opts.head?.preSkip ?? opts.preSkip ?? 0,
      inputSampleRate: opts.head?.inputSampleRate ?? opts.inputSampleRate ?? 48000,
      outputGain: opts.head?.outputGain ?? opts.outputGain ?? 0,
    });
    this.tagsBytes = writeOpusTags(opts.tags ?? { vendor: "petrel", comments: [] });
    this.maxPageSamples = Math.max(1, Math.round((opts.maxPageDuration ?? 1000) * 48));
    this.fillGaps = opts.fillGaps ?? true;
    this.sequence = 0;
    this.started = false;
    this.closed = false;
    this.firstTimestamp = 0;
    this.granule = 0;
    this.segments = [];
    this.body = [];
    this.pageGranule = -1;
    this.pageSamples = 0;
    this.continued = false;
    this.packetCount = 0;
    this.endTrim = 0;
    this.unwrapper = new TimestampUnwrapper();
  }
  private flushPage(flags: number): void {
    const n = this.segments.length;
    this.out.write(
      writeOggPage({
        flags: flags | (this.continued ? OGG_FLAG_CONTINUED : 0),
        granule: this.pageGranule,
        serial: this.serial,
        sequence: this.sequence,
        segments: this.segments,
        body: this.body,
      }),
    );
    this.sequence = (this.sequence + 1) >>> 0;
    // A page ending in a 255 lacing value leaves its last packet to continue on the next page.
    this.continued = n > 0 && this.segments[n - 1] === 255;
    this.segments = [];
    this.body = [];
    this.pageGranule = -1;
    this.pageSamples = 0;
  }
  /** Lays a packet into pages; it completes with granule position `granuleAfter`. */
  private addPacket(data: Uint8Array, granuleAfter: number): void {
    let o = 0;
    for (;;) {
      const room = 255 - this.segments.length;
      const rest = data.length - o;
      const need = Math.floor(rest / 255) + 1;
      if (need <= room) {
        for (let i = 0; i < need - 1; i++) this.segments.push(255);
        this.segments.push(rest % 255);
        this.body.push(data.subarray(o));
        this.pageGranule = granuleAfter;
        return;
      }
      // Fill this page and continue the packet on the next one.
      for (let i = 0; i < room; i++) this.segments.push(255);
      this.body.push(data.subarray(o, o + room * 255));
      o += room * 255;
      this.flushPage(0);
    }
  }
  private start(): void {
    if (this.started) return;
    this.started = true;
    this.addPacket(this.headBytes, 0);
    this.flushPage(OGG_FLAG_BOS);
    this.addPacket(this.tagsBytes, 0);
    this.flushPage(0);
  }
  private writePacket(data: Uint8Array, samples: number): void {
    // A full page goes out when the next packet comes (or at close), so the last packet is
    // always on the EOS page where end trimming can apply.
    if (this.pageSamples >= this.maxPageSamples || this.segments.length >= 255) this.flushPage(0);
    this.granule += samples;
    this.addPacket(data, this.granule);
    this.pageSamples += samples;
  }
  async writeFrame(frame: EncodedFrame): Promise<void> {
    if (this.closed) throw new ContainerError("closed", "writer is closed");
    if (frame.data.length === 0) throw new ContainerError("empty-packet", "an Opus packet has at least a TOC byte");
    this.start();
    const ts = this.unwrapper.unwrap(frame.timestamp);
    if (this.packetCount === 0) this.firstTimestamp = ts;
    const samples = opusPacketSamples(frame.data) || frame.duration || 960;
    if (this.fillGaps && this.packetCount > 0) {
      const gap = ts - this.firstTimestamp - this.granule;
      const toc = frame.data[0]! & 0xfc; // code 0: one frame of this configuration
      const step = opusFrameSamples(toc);
      if (gap >= step) {
        const count = Math.floor(Math.min(gap, MAX_GAP_FILL_SAMPLES) / step);
        const filler = Uint8Array.of(toc);
        for (let i = 0; i < count; i++) this.writePacket(filler, step);
      }
    }
    this.writePacket(frame.data, samples);
    // A last packet shorter than its TOC says (end trimming, RFC 7845 4) lowers the EOS granule.
    this.endTrim = frame.duration !== undefined && frame.duration < samples ? samples - frame.duration : 0;
    this.packetCount++;
    await this.out.flush();
  }
  /** Flushes the last page with the EOS flag and closes the sink. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.start();
    // Trimming applies only when the last packet is on the EOS page itself.
    this.pageGranule = this.segments.length > 0 ? this.granule - this.endTrim : this.granule;
    this.flushPage(OGG_FLAG_EOS);
    await this.out.close();
  }
}
