//! The CSV of exports, imports and import error reports (RFC 4180: quoted fields may hold
//! the delimiter, doubled quotes and line breaks; `\r\n` line ends written).

/// Splits `text` into rows of fields (a leading byte-order mark is dropped, blank lines
/// skipped); `None` when it ends inside a quoted field.
pub(crate) fn parse(text: &str, delimiter: char) -> Option<Vec<Vec<String>>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let (mut quoted, mut started) = (false, false);
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
            '"' if field.is_empty() => (quoted, started) = (true, true),
            c if c == delimiter => {
                row.push(std::mem::take(&mut field));
                started = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                if started || !row.is_empty() {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                started = false;
            }
            other => {
                field.push(other);
                started = true;
            }
        }
    }
    if quoted {
        return None;
    }
    if started || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Some(rows)
}

/// Writes rows as CSV.
pub(crate) fn write(rows: &[Vec<String>], delimiter: char) -> String {
    let mut out = String::new();
    for row in rows {
        let fields: Vec<String> = row
            .iter()
            .map(|v| {
                if v.contains([delimiter, '"', '\n', '\r']) {
                    format!("\"{}\"", v.replace('"', "\"\""))
                } else {
                    v.clone()
                }
            })
            .collect();
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
    fn round_trips_quoted_fields() {
        let rows = vec![
            vec!["_email".to_owned(), "_name".to_owned()],
            vec!["a@x.io".to_owned(), "Doe; \"Jo\"\nJr".to_owned()],
            vec!["b@x.io".to_owned(), String::new()],
        ];
        let text = write(&rows, ';');
        assert_eq!(parse(&text, ';').unwrap(), rows);
        assert!(parse("a,\"open", ',').is_none());
        assert_eq!(
            parse("\u{feff}a\n\nb", ',').unwrap(),
            vec![vec!["a"], vec!["b"]]
        );
    }
}
