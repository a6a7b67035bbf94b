//! Push-based, multi-member, output-capped gzip inflation (`spec/input-formats.md` §0 sniffing,
//! §1.2 "Gzip members"; `spec/reliability.md` §2.6 and §3.1 C4–C8).
//!
//! Why our own member loop around `flate2::Decompress` (raw deflate) instead of
//! `MultiGzDecoder`: we need exact control over what the reference cases demand: header and
//! trailer parsed across arbitrary chunk cuts, CRC32/ISIZE checked per member, anything after a
//! member that is not another member reported as an error (never silently ignored), a truncated
//! stream told apart at the end, and the *output* capped at `max + 1` bytes. Output is handed to
//! a sink in pieces of at most [`OUT_CHUNK`] bytes, so memory does not grow with the stream.
//!
//! An optional compression-ratio cap ([`GzipInflater::with_ratio_cap`]) stops a bomb long
//! before the output cap: once more than a grace amount of output was produced, output above
//! `ratio × compressed bytes consumed` is an error. DEFLATE tops out near 1 032:1 and CloudTrail
//! files inflate 10–30×, so a cap in the hundreds separates the two. The check runs after every
//! inflate step, so with different chunkings the stop can land up to one [`OUT_CHUNK`] piece
//! apart (zlib consumes input in steps that depend on what it was given); the error is the same.

use flate2::{Crc, Decompress, FlushDecompress, Status};

/// Largest piece of output handed to the sink at once.
pub const OUT_CHUNK: usize = 32 * 1024;

/// First bytes of a gzip member: ID1, ID2, CM = deflate.
pub const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const FRESERVED: u8 = 0xe0;

/// Why inflation stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GzipError {
    /// Corrupt, truncated, or followed by something that is not a member.
    Corrupt(String),
    /// The output would exceed the cap; `actual` is the output size reached (cap + 1).
    TooLarge {
        /// The cap.
        max: u64,
        /// Output bytes reached.
        actual: u64,
    },
    /// Output grew past `max × compressed input` (after the grace amount).
    RatioTooHigh {
        /// The ratio cap.
        max: u64,
        /// Output / compressed input when the cap was hit (rounded down).
        actual: u64,
        /// Output bytes produced when the cap was hit.
        output: u64,
        /// Compressed bytes consumed when the cap was hit.
        input: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading ID1, ID2, CM; `have` bytes seen.
    Magic { have: u8 },
    /// Reading FLG, MTIME (4), XFL, OS; `have` bytes seen.
    Fixed { have: u8, flags: u8 },
    /// Reading XLEN (2 bytes little-endian).
    ExtraLen { have: u8, len: u16, flags: u8 },
    /// Skipping the extra field.
    Extra { remaining: u16, flags: u8 },
    /// Skipping the zero-terminated file name.
    Name { flags: u8 },
    /// Skipping the zero-terminated comment.
    Comment { flags: u8 },
    /// Skipping the header CRC16.
    HeaderCrc { remaining: u8 },
    /// Inflating the deflate data.
    Body,
    /// Reading CRC32 and ISIZE.
    Trailer { have: u8, bytes: [u8; 8] },
    /// A member ended; only another member may follow.
    Between,
    /// An error was returned; nothing more is accepted.
    Failed,
}

/// A streaming gzip inflater for any number of members.
pub struct GzipInflater {
    inflate: Decompress,
    crc: Crc,
    state: State,
    /// 1-based number of the member being read.
    member: u64,
    member_out: u64,
    total_out: u64,
    total_in: u64,
    max_out: u64,
    /// Ratio cap (0 = none) and the output allowed before it applies.
    max_ratio: u64,
    ratio_grace: u64,
    buf: Vec<u8>,
}

impl GzipInflater {
    /// An inflater whose total output may not exceed `max_out` bytes.
    pub fn new(max_out: u64) -> GzipInflater {
        GzipInflater {
            inflate: Decompress::new(false),
            crc: Crc::new(),
            state: State::Magic { have: 0 },
            member: 1,
            member_out: 0,
            total_out: 0,
            total_in: 0,
            max_out,
            max_ratio: 0,
            ratio_grace: 0,
            buf: vec![0; OUT_CHUNK],
        }
    }

    /// Also stop when the output exceeds `max_ratio ×` the compressed bytes consumed, once more
    /// than `grace` output bytes were produced. A ratio of 0 means no ratio cap.
    pub fn with_ratio_cap(mut self, max_ratio: u64, grace: u64) -> GzipInflater {
        self.max_ratio = max_ratio;
        self.ratio_grace = grace;
        self
    }

    /// Inflated bytes produced so far.
    pub fn total_out(&self) -> u64 {
        self.total_out
    }

    /// Consume `input`, handing inflated bytes to `sink`. `sink` returns `false` to pause: the
    /// call then returns early with the number of input bytes consumed, and the caller feeds the
    /// rest later (output the inflater still holds comes first on the next call, even an empty
    /// one). Otherwise everything is consumed. After an error nothing more is accepted.
    pub fn feed(
        &mut self,
        input: &[u8],
        sink: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<usize, GzipError> {
        let mut i = 0usize;
        loop {
            if self.state == State::Body {
                match self.inflate_step(input, &mut i, sink)? {
                    Step::Continue => continue,
                    Step::Return => return Ok(i),
                }
            }
            let Some(&b) = input.get(i) else {
                return Ok(i);
            };
            if self.state == State::Failed {
                return Err(GzipError::Corrupt("gzip stream already failed".into()));
            }
            // Bulk skips for variable-length header parts.
            match self.state {
                State::Extra { remaining, flags } => {
                    let take = usize::from(remaining).min(input.len() - i);
                    i += take;
                    self.total_in += take as u64;
                    // `take` ≤ `remaining` (a u16), so this cannot wrap.
                    let left = remaining - u16::try_from(take).unwrap_or(remaining);
                    self.state = if left == 0 {
                        self.after_extra(flags)
                    } else {
                        State::Extra {
                            remaining: left,
                            flags,
                        }
                    };
                    continue;
                }
                State::Name { .. } | State::Comment { .. } => {
                    let rest = input.get(i..).unwrap_or(&[]);
                    match rest.iter().position(|&c| c == 0) {
                        None => {
                            self.total_in += rest.len() as u64;
                            i = input.len();
                        }
                        Some(z) => {
                            i += z + 1;
                            self.total_in += (z + 1) as u64;
                            self.state = match self.state {
                                State::Name { flags } => self.after_name(flags),
                                State::Comment { flags } => self.after_comment(flags),
                                other => other,
                            };
                        }
                    }
                    continue;
                }
                _ => {}
            }
            i += 1;
            self.total_in += 1;
            self.state = self.header_byte(b)?;
        }
    }

    /// The input ended: fine only between members.
    pub fn finish(&self) -> Result<(), GzipError> {
        let where_ = match self.state {
            State::Between | State::Failed => return Ok(()),
            State::Body => "inside the compressed data",
            State::Trailer { .. } => "inside the trailer",
            _ => "inside the header",
        };
        Err(GzipError::Corrupt(format!(
            "truncated gzip stream: input ends {where_} of member {} (after {} compressed bytes)",
            self.member, self.total_in
        )))
    }

    fn fail(&mut self, msg: String) -> GzipError {
        self.state = State::Failed;
        GzipError::Corrupt(msg)
    }

    /// One header, trailer or between-members byte.
    fn header_byte(&mut self, b: u8) -> Result<State, GzipError> {
        Ok(match self.state {
            State::Between => {
                if b == GZIP_MAGIC[0] {
                    self.member += 1;
                    State::Magic { have: 1 }
                } else {
                    let msg = format!(
                        "trailing garbage after gzip member {} at compressed byte {} (0x{b:02x})",
                        self.member,
                        self.total_in - 1
                    );
                    return Err(self.fail(msg));
                }
            }
            State::Magic { have } => {
                let expected = GZIP_MAGIC.get(usize::from(have)).copied().unwrap_or(0);
                if b != expected {
                    let what = if self.member > 1 {
                        "trailing garbage after gzip member"
                    } else {
                        "not a gzip header before member"
                    };
                    let msg = format!(
                        "{what} {} at compressed byte {}",
                        self.member.saturating_sub(u64::from(self.member > 1)),
                        self.total_in - 1
                    );
                    return Err(self.fail(msg));
                }
                if have + 1 == 3 {
                    State::Fixed { have: 0, flags: 0 }
                } else {
                    State::Magic { have: have + 1 }
                }
            }
            State::Fixed { have, flags } => {
                let flags = if have == 0 {
                    if b & FRESERVED != 0 {
                        let msg = format!(
                            "gzip member {} has reserved header flags set (0x{b:02x})",
                            self.member
                        );
                        return Err(self.fail(msg));
                    }
                    b
                } else {
                    flags
                };
                if have + 1 == 7 {
                    self.after_fixed(flags)
                } else {
                    State::Fixed {
                        have: have + 1,
                        flags,
                    }
                }
            }
            State::ExtraLen { have, len, flags } => {
                let len = len | (u16::from(b) << (8 * have));
                if have == 1 {
                    if len == 0 {
                        self.after_extra(flags)
                    } else {
                        State::Extra {
                            remaining: len,
                            flags,
                        }
                    }
                } else {
                    State::ExtraLen {
                        have: 1,
                        len,
                        flags,
                    }
                }
            }
            State::HeaderCrc { remaining } => {
                if remaining <= 1 {
                    self.start_body()
                } else {
                    State::HeaderCrc {
                        remaining: remaining - 1,
                    }
                }
            }
            State::Trailer { have, mut bytes } => {
                if let Some(slot) = bytes.get_mut(usize::from(have)) {
                    *slot = b;
                }
                if have + 1 < 8 {
                    State::Trailer {
                        have: have + 1,
                        bytes,
                    }
                } else {
                    let [c0, c1, c2, c3, s0, s1, s2, s3] = bytes;
                    let crc = u32::from_le_bytes([c0, c1, c2, c3]);
                    let isize = u32::from_le_bytes([s0, s1, s2, s3]);
                    if crc != self.crc.sum() {
                        let msg = format!(
                            "CRC32 mismatch in gzip member {}: trailer says {crc:08x}, data is {:08x}",
                            self.member,
                            self.crc.sum()
                        );
                        return Err(self.fail(msg));
                    }
                    // ISIZE is the length modulo 2^32.
                    let actual = (self.member_out & 0xffff_ffff) as u32;
                    if isize != actual {
                        let msg = format!(
                            "ISIZE mismatch in gzip member {}: trailer says {isize}, data is {actual} (mod 2^32)",
                            self.member
                        );
                        return Err(self.fail(msg));
                    }
                    State::Between
                }
            }
            // Handled by the caller (body, bulk skips, failure).
            other => other,
        })
    }

    fn after_fixed(&mut self, flags: u8) -> State {
        if flags & FEXTRA != 0 {
            State::ExtraLen {
                have: 0,
                len: 0,
                flags,
            }
        } else {
            self.after_extra(flags)
        }
    }

    fn after_extra(&mut self, flags: u8) -> State {
        if flags & FNAME != 0 {
            State::Name { flags }
        } else {
            self.after_name(flags)
        }
    }

    fn after_name(&mut self, flags: u8) -> State {
        if flags & FCOMMENT != 0 {
            State::Comment { flags }
        } else {
            self.after_comment(flags)
        }
    }

    fn after_comment(&mut self, flags: u8) -> State {
        if flags & FHCRC != 0 {
            State::HeaderCrc { remaining: 2 }
        } else {
            self.start_body()
        }
    }

    fn start_body(&mut self) -> State {
        self.inflate.reset(false);
        self.crc.reset();
        self.member_out = 0;
        State::Body
    }

    /// One `decompress` call in the body.
    fn inflate_step(
        &mut self,
        input: &[u8],
        i: &mut usize,
        sink: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<Step, GzipError> {
        let rest = input.get(*i..).unwrap_or(&[]);
        // Room for at most cap + 1 bytes, so an overflow is seen without producing more.
        let room = self
            .max_out
            .saturating_sub(self.total_out)
            .saturating_add(1);
        let want = usize::try_from(room).unwrap_or(OUT_CHUNK).min(OUT_CHUNK);
        let (before_in, before_out) = (self.inflate.total_in(), self.inflate.total_out());
        let out = self.buf.get_mut(..want).unwrap_or_default();
        let result = self.inflate.decompress(rest, out, FlushDecompress::None);
        let used = usize::try_from(self.inflate.total_in() - before_in).unwrap_or(rest.len());
        let made = usize::try_from(self.inflate.total_out() - before_out).unwrap_or(0);
        let status = match result {
            Ok(s) => s,
            Err(_) => {
                // What was inflated before the bad data goes out first, and the message names
                // the member's output position: both are the same for any chunking. Neither
                // the compressed position of the failing call's start nor zlib's text is (zlib
                // may enter its error state in one call and report "repeated call with bad
                // state" in the next), so neither is in the message.
                let produced = self.buf.get(..made).unwrap_or_default();
                let allowed = self.max_out.saturating_sub(self.total_out);
                let keep = usize::try_from(allowed).unwrap_or(made).min(made);
                let _ = sink(produced.get(..keep).unwrap_or_default());
                if made as u64 > allowed {
                    // The cap came first in the stream (as a chunked feed would see it).
                    let actual = self.total_out + made as u64;
                    self.total_out += keep as u64;
                    self.state = State::Failed;
                    return Err(GzipError::TooLarge {
                        max: self.max_out,
                        actual,
                    });
                }
                self.total_out += keep as u64;
                self.member_out += keep as u64;
                let msg = format!(
                    "corrupt deflate data in gzip member {} after {} bytes of its output",
                    self.member, self.member_out
                );
                return Err(self.fail(msg));
            }
        };
        *i += used;
        self.total_in += used as u64;
        let ended = status == Status::StreamEnd;
        if made > 0 {
            let produced = self.buf.get(..made).unwrap_or_default();
            let allowed = self.max_out.saturating_sub(self.total_out);
            if made as u64 > allowed {
                let keep = usize::try_from(allowed).unwrap_or(made).min(made);
                let _ = sink(produced.get(..keep).unwrap_or_default());
                let actual = self.total_out + made as u64;
                self.total_out += keep as u64;
                self.state = State::Failed;
                return Err(GzipError::TooLarge {
                    max: self.max_out,
                    actual,
                });
            }
            let out_after = self.total_out + made as u64;
            if self.max_ratio > 0
                && out_after > self.ratio_grace
                && out_after > self.total_in.saturating_mul(self.max_ratio)
            {
                self.state = State::Failed;
                return Err(GzipError::RatioTooHigh {
                    max: self.max_ratio,
                    actual: out_after / self.total_in.max(1),
                    output: self.total_out,
                    input: self.total_in,
                });
            }
            self.crc.update(produced);
            self.member_out += made as u64;
            self.total_out += made as u64;
            if ended {
                self.state = State::Trailer {
                    have: 0,
                    bytes: [0; 8],
                };
            }
            if !sink(produced) {
                return Ok(Step::Return);
            }
            return Ok(Step::Continue);
        }
        if ended {
            self.state = State::Trailer {
                have: 0,
                bytes: [0; 8],
            };
            return Ok(Step::Continue);
        }
        if used == 0 {
            if *i < input.len() {
                let msg = format!(
                    "inflate made no progress in gzip member {} at compressed byte {}",
                    self.member, self.total_in
                );
                return Err(self.fail(msg));
            }
            return Ok(Step::Return);
        }
        Ok(Step::Continue)
    }
}

enum Step {
    Continue,
    Return,
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).expect("write");
        e.finish().expect("finish")
    }

    /// Inflate in chunks of `step` bytes; returns output and the first error.
    fn inflate(input: &[u8], step: usize, max: u64) -> (Vec<u8>, Result<(), GzipError>) {
        let mut g = GzipInflater::new(max);
        let mut out = Vec::new();
        for chunk in input.chunks(step.max(1)) {
            let mut sink = |b: &[u8]| {
                out.extend_from_slice(b);
                true
            };
            if let Err(e) = g.feed(chunk, &mut sink) {
                return (out, Err(e));
            }
        }
        let mut sink = |b: &[u8]| {
            out.extend_from_slice(b);
            true
        };
        if let Err(e) = g.feed(&[], &mut sink) {
            return (out, Err(e));
        }
        let r = g.finish();
        (out, r)
    }

    #[test]
    fn members_are_concatenated_for_every_chunk_size() {
        let mut input = gz(b"hello ");
        input.extend(gz(b""));
        input.extend(gz(b"world"));
        for step in [1, 2, 3, 7, 64, 100_000] {
            let (out, r) = inflate(&input, step, u64::MAX);
            assert_eq!(r, Ok(()), "step {step}");
            assert_eq!(out, b"hello world", "step {step}");
        }
    }

    #[test]
    fn optional_header_fields_are_skipped() {
        let mut e = flate2::GzBuilder::new()
            .filename("name.json")
            .comment("a comment")
            .extra(vec![1, 2, 3, 4])
            .write(Vec::new(), Compression::fast());
        e.write_all(b"payload").expect("write");
        let mut input = e.finish().expect("finish");
        // Also set FHCRC by hand (flate2 never writes it): the flag, and 2 bytes before the body,
        // which starts after 10 fixed + 2 XLEN + 4 extra + "name.json\0" + "a comment\0".
        let mut with_hcrc = input.clone();
        with_hcrc[3] |= FHCRC;
        let body = 10 + 2 + 4 + 10 + 10;
        with_hcrc.splice(body..body, [0xab, 0xcd]);
        for step in [1, 5, 1000] {
            let (out, r) = inflate(&input, step, u64::MAX);
            assert_eq!((out.as_slice(), r), (&b"payload"[..], Ok(())));
            let (out, r) = inflate(&with_hcrc, step, u64::MAX);
            assert_eq!((out.as_slice(), r), (&b"payload"[..], Ok(())));
        }
        input.truncate(12);
        let (_, r) = inflate(&input, 3, u64::MAX);
        assert!(matches!(r, Err(GzipError::Corrupt(m)) if m.contains("inside the header")));
    }

    #[test]
    fn crc_and_isize_mismatches_are_corruption() {
        let good = gz(b"some data to check");
        let n = good.len();
        for (at, what) in [(n - 8, "CRC32"), (n - 4, "ISIZE")] {
            let mut bad = good.clone();
            bad[at] ^= 0xff;
            let (_, r) = inflate(&bad, 4, u64::MAX);
            assert!(
                matches!(&r, Err(GzipError::Corrupt(m)) if m.contains(what)),
                "{what}: {r:?}"
            );
        }
    }

    #[test]
    fn anything_after_a_member_that_is_not_a_member_is_an_error() {
        for tail in [&b"x"[..], b"\n", b"\0\0\0", b"\x1f\x8b\x09"] {
            let mut input = gz(b"data");
            input.extend_from_slice(tail);
            let (out, r) = inflate(&input, 1, u64::MAX);
            assert_eq!(out, b"data", "good data still delivered before the error");
            assert!(
                matches!(&r, Err(GzipError::Corrupt(m)) if m.contains("trailing garbage")),
                "{tail:?}: {r:?}"
            );
        }
    }

    #[test]
    fn truncation_is_reported_at_finish_with_its_place() {
        let input = gz(&b"0123456789".repeat(1000));
        for (cut, place) in [
            (5, "header"),
            (input.len() / 2, "compressed data"),
            (input.len() - 3, "trailer"),
        ] {
            let (_, r) = inflate(&input[..cut], 7, u64::MAX);
            assert!(
                matches!(&r, Err(GzipError::Corrupt(m)) if m.contains(place) && m.contains("truncated")),
                "cut {cut}: {r:?}"
            );
        }
    }

    #[test]
    fn output_is_capped_at_max_plus_one() {
        let input = gz(&vec![b' '; 100_000]);
        let (out, r) = inflate(&input, 1000, 50_000);
        assert_eq!(
            r,
            Err(GzipError::TooLarge {
                max: 50_000,
                actual: 50_001
            })
        );
        assert_eq!(
            out.len(),
            50_000,
            "exactly the allowed bytes reach the sink"
        );
        let (out, r) = inflate(&input, 1000, 100_000);
        assert_eq!(
            (out.len(), r),
            (100_000, Ok(())),
            "exactly at the cap is fine"
        );
    }

    /// Inflate everything with a ratio cap; returns output length and the first error.
    fn inflate_ratio(
        input: &[u8],
        step: usize,
        ratio: u64,
        grace: u64,
    ) -> (u64, Result<(), GzipError>) {
        let mut g = GzipInflater::new(u64::MAX).with_ratio_cap(ratio, grace);
        let mut n = 0u64;
        for chunk in input.chunks(step.max(1)).chain(std::iter::once(&[][..])) {
            let mut sink = |b: &[u8]| {
                n += b.len() as u64;
                true
            };
            if let Err(e) = g.feed(chunk, &mut sink) {
                return (n, Err(e));
            }
        }
        (n, g.finish())
    }

    #[test]
    fn the_ratio_cap_stops_a_bomb_soon_after_the_grace_amount() {
        // 8 MiB of spaces inflate about 1000x.
        let input = gz(&vec![b' '; 8 << 20]);
        for step in [1 << 10, 1 << 20] {
            let (out, r) = inflate_ratio(&input, step, 100, 1 << 20);
            let Err(GzipError::RatioTooHigh {
                max,
                actual,
                output,
                input: used,
            }) = r
            else {
                panic!("expected the ratio error, got {r:?}");
            };
            assert_eq!(max, 100);
            assert!(actual > 100, "{actual}");
            assert_eq!(out, output, "nothing past the check reaches the sink");
            assert!(
                output <= (1 << 20) + OUT_CHUNK as u64,
                "stops within one piece of the grace amount: {output}"
            );
            assert!(used < 8 << 10, "{used} compressed bytes read");
        }
    }

    #[test]
    fn the_ratio_cap_lets_ordinary_data_and_small_inputs_through() {
        // Varied text inflating about 3x, well past the grace amount.
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let text: Vec<u8> = (0..3_000_000u32)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b"abcdefghij"[(x % 10) as usize]
            })
            .collect();
        let input = gz(&text);
        assert_eq!(
            inflate_ratio(&input, 4096, 10, 1 << 20),
            (text.len() as u64, Ok(()))
        );
        // A bomb below the grace amount, and any bomb with the cap off.
        let small_bomb = gz(&vec![b' '; 1 << 20]);
        assert_eq!(
            inflate_ratio(&small_bomb, 4096, 10, 1 << 20),
            (1 << 20, Ok(()))
        );
        let bomb = gz(&vec![b' '; 4 << 20]);
        assert_eq!(inflate_ratio(&bomb, 4096, 0, 0), (4 << 20, Ok(())));
    }

    #[test]
    fn a_paused_sink_resumes_without_losing_bytes() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let input = gz(&data);
        let mut g = GzipInflater::new(u64::MAX);
        let mut out = Vec::new();
        let mut pos = 0;
        let mut rounds = 0;
        loop {
            rounds += 1;
            assert!(rounds < 10_000, "no progress");
            let mut sink = |b: &[u8]| {
                out.extend_from_slice(b);
                false // pause after every piece
            };
            let used = g.feed(&input[pos..], &mut sink).expect("feed");
            if used == 0 && pos == input.len() && out.len() == data.len() {
                break;
            }
            pos += used;
        }
        assert_eq!(g.finish(), Ok(()));
        assert_eq!(out, data);
    }

    /// Fuzz findings (target `gzip`): the output delivered before corrupt deflate data, the
    /// error text, and cap-versus-corruption precedence depended on how the input was chunked.
    #[test]
    fn corrupt_deflate_data_gives_the_same_output_and_error_for_any_chunking() {
        let text: Vec<u8> = (0..400u32)
            .flat_map(|i| format!("{{\"k{}\":\"v{}\"}},", i % 37, i % 11).into_bytes())
            .collect();
        let good = gz(&text);
        let mut differing = 0;
        for at in 10..good.len() - 8 {
            for flip in [0x01u8, 0x55, 0xff] {
                let mut bad = good.clone();
                bad[at] ^= flip;
                for max in [u64::MAX, 0, 7, 300] {
                    let one = inflate(&bad, bad.len(), max);
                    let bytewise = inflate(&bad, 1, max);
                    let odd = inflate(&bad, 13, max);
                    assert_eq!(one, bytewise, "flip {flip:#x} at {at}, cap {max}");
                    assert_eq!(one, odd, "flip {flip:#x} at {at}, cap {max}");
                    differing += usize::from(one.1.is_err());
                }
            }
        }
        assert!(differing > 100, "the corruptions were mostly detected");
    }

    #[test]
    fn corrupt_deflate_data_is_an_error_not_a_panic() {
        let mut input = gz(&b"abcdefgh".repeat(100));
        for b in input.iter_mut().skip(10).take(20) {
            *b = 0xff;
        }
        let (_, r) = inflate(&input, 3, u64::MAX);
        assert!(matches!(r, Err(GzipError::Corrupt(_))), "{r:?}");
    }
}
