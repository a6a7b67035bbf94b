//! Strict base64 for Firehose record `data` (`spec/input-formats.md` §2.1; `spec/reliability.md`
//! §3.4 F2): the standard alphabet (RFC 4648 §4) with padding, nothing else.
//!
//! Why strict: Firehose always writes canonical standard base64, so anything else (URL-safe
//! characters, missing padding, embedded whitespace, stray bits in the last character) means the
//! record is not what the producer sent. The record then becomes an error document that keeps
//! the text; a lenient decoder would instead hand garbage to the JSON layer and lose the cause.

use std::fmt;

/// Why a text is not strict standard base64.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base64Error {
    /// The length is not a multiple of 4 (padding missing or extra characters).
    Length(usize),
    /// A byte outside the standard alphabet (e.g. `-`, `_`, whitespace) at this offset.
    InvalidByte {
        /// Offset of the byte.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// `=` somewhere other than the last one or two positions, or three of them.
    Padding(usize),
    /// The bits after the last full byte are not zero (non-canonical encoding).
    TrailingBits(usize),
}

impl fmt::Display for Base64Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Base64Error::Length(n) => write!(
                f,
                "length {n} is not a multiple of 4 (padding missing or extra characters)"
            ),
            Base64Error::InvalidByte { offset, byte } => {
                if byte.is_ascii_graphic() {
                    write!(
                        f,
                        "character {:?} at offset {offset} is not in the standard alphabet",
                        char::from(*byte)
                    )
                } else {
                    write!(
                        f,
                        "byte 0x{byte:02x} at offset {offset} is not in the standard alphabet"
                    )
                }
            }
            Base64Error::Padding(offset) => write!(f, "misplaced padding at offset {offset}"),
            Base64Error::TrailingBits(offset) => write!(
                f,
                "non-zero padding bits in the character at offset {offset} (non-canonical)"
            ),
        }
    }
}

/// Value of one alphabet byte, or `None`.
fn sextet(b: u8) -> Option<u32> {
    let v = match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// [`sextet`] as a table: the value, or `0x80` for bytes outside the alphabet (and `=`).
static SEXTETS: [u8; 256] = {
    let mut t = [0x80u8; 256];
    let mut i = 0;
    while i < 64 {
        let b = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i];
        t[b as usize] = i as u8;
        i += 1;
    }
    t
};

/// Decode `text` as strict standard base64 with padding. The empty text decodes to nothing.
pub fn decode(text: &[u8]) -> Result<Vec<u8>, Base64Error> {
    if !text.len().is_multiple_of(4) {
        // Report a bad byte first: it explains a wrong length better.
        if let Some((offset, &byte)) = text
            .iter()
            .enumerate()
            .find(|&(_, &b)| b != b'=' && sextet(b).is_none())
        {
            return Err(Base64Error::InvalidByte { offset, byte });
        }
        return Err(Base64Error::Length(text.len()));
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let quads = text.len() / 4;
    // Fast path: every quad but the last through a table; the first quad with anything else
    // (a byte outside the alphabet, `=`) is left to the checked loop below, which says why.
    let mut start = 0;
    for quad in text.chunks_exact(4).take(quads.saturating_sub(1)) {
        let v = quad.iter().map(|&b| SEXTETS[usize::from(b)]);
        let (mut acc, mut bad) = (0u32, 0u8);
        for x in v {
            acc = (acc << 6) | u32::from(x & 63);
            bad |= x;
        }
        if bad & 0x80 != 0 {
            break;
        }
        out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
        start += 1;
    }
    for (q, quad) in text.chunks_exact(4).enumerate().skip(start) {
        let base = q * 4;
        let last = q + 1 == quads;
        let mut acc = 0u32;
        let mut pad = 0usize;
        for (k, &b) in quad.iter().enumerate() {
            if b == b'=' {
                // Only `xx==` or `xxx=` in the last quad.
                if !last || k < 2 || (k == 2 && quad.get(3) != Some(&b'=')) {
                    return Err(Base64Error::Padding(base + k));
                }
                pad += 1;
                acc <<= 6;
                continue;
            }
            if pad > 0 {
                return Err(Base64Error::Padding(base + k));
            }
            let Some(v) = sextet(b) else {
                return Err(Base64Error::InvalidByte {
                    offset: base + k,
                    byte: b,
                });
            };
            acc = (acc << 6) | v;
        }
        let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        match pad {
            0 => out.extend_from_slice(&bytes),
            1 => {
                if acc & 0xff != 0 {
                    return Err(Base64Error::TrailingBits(base + 2));
                }
                out.extend_from_slice(bytes.get(..2).unwrap_or_default());
            }
            _ => {
                if acc & 0xffff != 0 {
                    return Err(Base64Error::TrailingBits(base + 1));
                }
                out.extend_from_slice(bytes.get(..1).unwrap_or_default());
            }
        }
    }
    Ok(out)
}

/// Standard base64 with padding, as Firehose writes `records[].data`: the inverse of
/// [`decode`], for tests, fuzz targets and benches that build Firehose bodies.
pub fn encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let v = (u32::from(c[0]) << 16)
            | (u32::from(c.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(c.get(2).copied().unwrap_or(0));
        for k in 0..4 {
            if k <= c.len() {
                s.push(char::from(ALPHABET[(v >> (18 - 6 * k)) as usize & 63]));
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_decoding_table() {
        type Case = (&'static str, Result<&'static [u8], Base64Error>);
        let cases: &[Case] = &[
            ("", Ok(b"")),
            ("Zg==", Ok(b"f")),
            ("Zm8=", Ok(b"fo")),
            ("Zm9v", Ok(b"foo")),
            ("Zm9vYmFy", Ok(b"foobar")),
            ("H4sI", Ok(&[0x1f, 0x8b, 0x08])),
            ("+/+/", Ok(&[0xfb, 0xff, 0xbf])),
            // padding missing or wrong
            ("Zg", Err(Base64Error::Length(2))),
            ("Zm8", Err(Base64Error::Length(3))),
            ("Zg=", Err(Base64Error::Length(3))),
            ("Zg===", Err(Base64Error::Length(5))),
            ("Z===", Err(Base64Error::Padding(1))),
            ("====", Err(Base64Error::Padding(0))),
            ("Zg=a", Err(Base64Error::Padding(2))),
            ("Zg==Zg==", Err(Base64Error::Padding(2))),
            ("Zm=v", Err(Base64Error::Padding(2))),
            // URL-safe alphabet, whitespace, other bytes
            (
                "-_-_",
                Err(Base64Error::InvalidByte {
                    offset: 0,
                    byte: b'-',
                }),
            ),
            (
                "ab_c",
                Err(Base64Error::InvalidByte {
                    offset: 2,
                    byte: b'_',
                }),
            ),
            (
                "Zm9v\nYmFy",
                Err(Base64Error::InvalidByte {
                    offset: 4,
                    byte: b'\n',
                }),
            ),
            (
                "Zm9v YmFy",
                Err(Base64Error::InvalidByte {
                    offset: 4,
                    byte: b' ',
                }),
            ),
            (
                "Zm9v!",
                Err(Base64Error::InvalidByte {
                    offset: 4,
                    byte: b'!',
                }),
            ),
            (
                "Zm9\u{e9}",
                Err(Base64Error::InvalidByte {
                    offset: 3,
                    byte: 0xc3,
                }),
            ),
            // a bad byte in an early quad of a long text (the table path hands over)
            (
                "Zm_vYmFyZm9v",
                Err(Base64Error::InvalidByte {
                    offset: 2,
                    byte: b'_',
                }),
            ),
            (
                "Zm9vYmFy\tm9v",
                Err(Base64Error::InvalidByte {
                    offset: 8,
                    byte: b'\t',
                }),
            ),
            // non-canonical trailing bits
            ("Zh==", Err(Base64Error::TrailingBits(1))),
            ("Zm9=", Err(Base64Error::TrailingBits(2))),
        ];
        for (text, want) in cases {
            let got = decode(text.as_bytes());
            assert_eq!(got.as_deref().map_err(Clone::clone), *want, "{text:?}");
        }
    }

    #[test]
    fn encode_writes_the_standard_alphabet_with_padding() {
        assert_eq!(encode(b""), "");
        assert_eq!(encode(b"f"), "Zg==");
        assert_eq!(encode(b"fo"), "Zm8=");
        assert_eq!(encode(b"foo"), "Zm9v");
        assert_eq!(encode(&[0xfb, 0xff]), "+/8=");
        assert_eq!(encode(&[0x1f, 0x8b, 0x08]), "H4sI");
    }

    #[test]
    fn every_length_and_byte_round_trips() {
        let data: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for n in 0..data.len() {
            let text = encode(&data[..n]);
            assert_eq!(decode(text.as_bytes()).as_deref(), Ok(&data[..n]), "{n}");
        }
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = decode(b"ab_c").expect_err("url-safe");
        assert_eq!(
            e.to_string(),
            "character '_' at offset 2 is not in the standard alphabet"
        );
        assert!(
            decode(b"Zg")
                .expect_err("short")
                .to_string()
                .contains("padding")
        );
    }
}
