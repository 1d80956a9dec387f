//! The CSV Connectif exchanges in exports and imports (RFC 4180: quoted fields may hold
//! the delimiter, quotes doubled, and line breaks), read into rows and written from rows.
//! The SDK has no CSV reader and the files are small enough to hold whole, so a dependency
//! is not worth its wasm size.

use junction_sdk::types::ConnectorError;

/// Splits `text` into rows of fields. A leading UTF-8 byte-order mark is dropped (Excel
/// and many exporters write one); blank lines are skipped.
pub fn parse(text: &str, delimiter: char) -> Result<Vec<Vec<String>>, ConnectorError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut field_started = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                other => field.push(other),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                quoted = true;
                field_started = true;
            }
            c if c == delimiter => {
                row.push(std::mem::take(&mut field));
                field_started = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                if field_started || !field.is_empty() || !row.is_empty() {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                field_started = false;
            }
            other => {
                field.push(other);
                field_started = true;
            }
        }
    }
    if quoted {
        return Err(ConnectorError::upstream(
            200,
            "the CSV file ends inside a quoted field (truncated download?)",
        ));
    }
    if field_started || !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

/// One field, quoted when it holds the delimiter, a quote or a line break.
fn field(value: &str, delimiter: char) -> String {
    if value.contains([delimiter, '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// Writes rows as CSV with `\r\n` line ends.
pub fn write(rows: &[Vec<String>], delimiter: char) -> String {
    let mut out = String::new();
    for row in rows {
        let fields: Vec<String> = row.iter().map(|v| field(v, delimiter)).collect();
        out.push_str(&fields.join(&delimiter.to_string()));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_quotes_delimiters_and_line_breaks() {
        let text =
            "\u{feff}_email,_name\r\na@x.io,\"Doe, \"\"Jo\"\"\"\n\nb@x.io,\"two\nlines\"\nc@x.io,";
        let rows = parse(text, ',').unwrap();
        assert_eq!(
            rows,
            vec![
                vec!["_email", "_name"],
                vec!["a@x.io", "Doe, \"Jo\""],
                vec!["b@x.io", "two\nlines"],
                vec!["c@x.io", ""],
            ]
        );
        assert_eq!(parse("a;b\n1;2", ';').unwrap()[1], vec!["1", "2"]);
        assert!(parse("a,\"open", ',').is_err());
    }

    #[test]
    fn writes_what_it_reads() {
        let rows = vec![
            vec!["_email".to_owned(), "_name".to_owned()],
            vec!["a@x.io".to_owned(), "Doe, \"Jo\"\nJr".to_owned()],
        ];
        let text = write(&rows, ',');
        assert_eq!(text, "_email,_name\r\na@x.io,\"Doe, \"\"Jo\"\"\nJr\"\r\n");
        assert_eq!(parse(&text, ',').unwrap(), rows);
    }
}
