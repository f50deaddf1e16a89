//! A small RFC 4180 reader and writer, enough for the roster, history and plan CSVs.
//!
//! Reading: fields are separated by commas and records by LF or CRLF; a field in double quotes
//! may contain commas, line breaks and doubled quotes (`""`). A leading UTF-8 byte-order mark is
//! skipped, blank lines are skipped, and unquoted fields are trimmed. The reader never stops at a
//! problem: it reports it with its line and keeps reading, so a file shows all its errors at once.

use std::borrow::Cow;

/// One record with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// A syntax problem, on the line where it was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CsvProblem {
    /// A quoted field that runs to the end of the text.
    Unterminated,
    /// A `"` in the middle of an unquoted field.
    Stray,
    /// Something other than a comma or line break right after a closing quote.
    TextAfter,
}

pub(crate) fn read(text: &str) -> (Vec<Record>, Vec<(usize, CsvProblem)>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut problems = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1usize;
    let mut record_line = 1usize;
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    // Whether the current field was quoted (then it is not trimmed).
    let mut quoted = false;

    let finish_field = |fields: &mut Vec<String>, field: &mut String, quoted: bool| {
        let f = std::mem::take(field);
        fields.push(if quoted { f } else { f.trim().to_owned() });
    };
    let finish_record =
        |records: &mut Vec<Record>, fields: &mut Vec<String>, record_line: usize| {
            let fs = std::mem::take(fields);
            let blank = fs.len() == 1 && fs.first().is_some_and(|f| f.is_empty());
            if !blank {
                records.push(Record {
                    line: record_line,
                    fields: fs,
                });
            }
        };

    while let Some(ch) = chars.next() {
        match ch {
            // An opening quote: only blanks may come before it in the field.
            '"' if !quoted && field.trim().is_empty() => {
                field.clear();
                quoted = true;
                let start_line = line;
                let mut closed = false;
                while let Some(q) = chars.next() {
                    match q {
                        '"' if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\n' => {
                            line += 1;
                            field.push('\n');
                        }
                        other => field.push(other),
                    }
                }
                if !closed {
                    problems.push((start_line, CsvProblem::Unterminated));
                }
                // After the closing quote only blanks and then a separator may follow.
                let mut reported = false;
                while let Some(&next) = chars.peek() {
                    if next == ',' || next == '\n' || next == '\r' {
                        break;
                    }
                    if next != ' ' && next != '\t' {
                        if !reported {
                            problems.push((line, CsvProblem::TextAfter));
                            reported = true;
                        }
                        field.push(next);
                    }
                    chars.next();
                }
            }
            ',' => {
                finish_field(&mut fields, &mut field, quoted);
                quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                finish_field(&mut fields, &mut field, quoted);
                finish_record(&mut records, &mut fields, record_line);
                quoted = false;
                line += 1;
                record_line = line;
            }
            '"' => {
                problems.push((line, CsvProblem::Stray));
                field.push('"');
            }
            other => field.push(other),
        }
    }
    if !field.is_empty() || !fields.is_empty() || quoted {
        finish_field(&mut fields, &mut field, quoted);
        finish_record(&mut records, &mut fields, record_line);
    }
    (records, problems)
}

/// A field as RFC 4180 writes it: quoted (with doubled quotes) when it holds a comma, a quote, a
/// line break or surrounding blanks.
pub(crate) fn field(s: &str) -> Cow<'_, str> {
    let needs = s.contains([',', '"', '\n', '\r']) || s.trim() != s;
    if needs {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        let (records, problems) = read(text);
        assert!(problems.is_empty(), "{problems:?}");
        records.into_iter().map(|r| r.fields).collect()
    }

    #[test]
    fn plain_and_quoted() {
        assert_eq!(
            fields("a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\n"),
            vec![vec!["a", "b", "c"], vec!["1", "x, y", "say \"hi\""]]
        );
    }

    #[test]
    fn multiline_field_keeps_line_numbers() {
        let (records, problems) = read("h1,h2\n\"two\nlines\",x\nnext,row\n");
        assert!(problems.is_empty());
        assert_eq!(records[1].fields, vec!["two\nlines", "x"]);
        assert_eq!(records[1].line, 2);
        assert_eq!(records[2].line, 4);
    }

    #[test]
    fn bom_blank_lines_trailing_field() {
        assert_eq!(
            fields("\u{feff}a,b\n\n c , d \n1,"),
            vec![vec!["a", "b"], vec!["c", "d"], vec!["1", ""]]
        );
        assert_eq!(fields("a,\"\"\n"), vec![vec!["a", ""]]);
        assert_eq!(fields("  \"q \" ,b\n"), vec![vec!["q ", "b"]]);
    }

    #[test]
    fn problems_are_reported_and_reading_goes_on() {
        let (records, problems) = read("a,b\"c\n\"x\"y,z\n\"open\n");
        assert_eq!(
            problems,
            vec![
                (1, CsvProblem::Stray),
                (2, CsvProblem::TextAfter),
                (3, CsvProblem::Unterminated)
            ]
        );
        assert_eq!(records.len(), 3);
    }

    #[test]
    fn writer_round_trips() {
        let odd = ["plain", "a,b", "q\"q", "two\nlines", " pad", ""];
        let line: Vec<String> = odd.iter().map(|s| field(s).into_owned()).collect();
        let (records, problems) = read(&line.join(","));
        assert!(problems.is_empty());
        assert_eq!(records[0].fields, odd);
    }
}
