//! Message-lines framing (WIT `input-mode::message-lines`; `spec/elastic-parity.md` §1.3):
//! every line is one ingest message, verbatim, the framing of Elastic's pipeline tests.
//!
//! Lines are split on `\n`; one trailing `\r` is stripped; blank lines are records; a final
//! `\n` does not start another (empty) line, and empty input has no lines. A line longer than
//! the record cap becomes a too-large record (first [`super::framing::EXCERPT_BYTES`] kept).

use std::collections::VecDeque;

use super::framing::{Capture, RawRecord};

/// The line framer.
#[derive(Debug)]
pub struct LineFramer {
    max_record: u64,
    pos: u64,
    line: Option<Capture>,
}

impl LineFramer {
    /// A line framer with a record cap of `max_record` bytes.
    pub fn new(max_record: u64) -> LineFramer {
        LineFramer {
            max_record,
            pos: 0,
            line: None,
        }
    }

    /// Split `data`, pushing completed lines to `out`; consumes everything.
    pub fn push(&mut self, data: &[u8], out: &mut VecDeque<RawRecord>) -> usize {
        let mut start = 0usize;
        while start <= data.len() {
            let rest = data.get(start..).unwrap_or_default();
            if rest.is_empty() {
                break;
            }
            let offset = self.pos + start as u64;
            let line = self
                .line
                .get_or_insert_with(|| Capture::new(offset, self.max_record));
            match rest.iter().position(|&b| b == b'\n') {
                None => {
                    line.append(rest);
                    break;
                }
                Some(k) => {
                    line.append(rest.get(..k).unwrap_or_default());
                    if let Some(mut line) = self.line.take() {
                        line.strip_trailing(b'\r');
                        out.push_back(line.into_record());
                    }
                    start += k + 1;
                }
            }
        }
        self.pos += data.len() as u64;
        data.len()
    }

    /// The input ended: an unterminated last line is a record.
    pub fn finish(&mut self, out: &mut VecDeque<RawRecord>) {
        if let Some(mut line) = self.line.take() {
            line.strip_trailing(b'\r');
            out.push_back(line.into_record());
        }
    }

    /// Stop: the line being read, if any, is cut.
    pub fn abort(&mut self, reason: String, out: &mut VecDeque<RawRecord>) {
        if let Some(line) = self.line.take() {
            out.push_back(line.into_cut(reason));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::framing::RecordBody;
    use super::*;

    fn lines(input: &[u8], step: usize, max: u64) -> Vec<RawRecord> {
        let mut f = LineFramer::new(max);
        let mut out = VecDeque::new();
        for c in input.chunks(step.max(1)) {
            f.push(c, &mut out);
        }
        f.finish(&mut out);
        out.into_iter().collect()
    }

    #[test]
    fn lines_are_split_verbatim_with_blank_lines_and_crlf() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("\n", &[""]),
            ("a", &["a"]),
            ("a\n", &["a"]),
            ("a\n\nb", &["a", "", "b"]),
            ("a\r\nb\r\n", &["a", "b"]),
            ("a\r\r\n", &["a\r"]),
            ("\r", &[""]),
            ("  {\"x\":1}  \n\n", &["  {\"x\":1}  ", ""]),
        ];
        for (input, want) in cases {
            for step in [1, 2, usize::MAX] {
                let got: Vec<String> = lines(input.as_bytes(), step, 100)
                    .iter()
                    .map(|r| String::from_utf8_lossy(&r.text).into_owned())
                    .collect();
                assert_eq!(got, *want, "{input:?} step {step}");
            }
        }
    }

    #[test]
    fn offsets_point_at_line_starts_and_long_lines_are_too_large() {
        let recs = lines(b"ab\ncdefgh\nij", 2, 4);
        assert_eq!(
            recs.iter().map(|r| r.offset).collect::<Vec<_>>(),
            [0, 3, 10]
        );
        assert_eq!(recs[1].body, RecordBody::TooLarge);
        assert_eq!(recs[1].size, 6);
        assert_eq!(recs[2].body, RecordBody::Complete);
    }
}
