//! Reading the CSV inside an export file. Connectif's reference says an export's file is a
//! zipped CSV; the SDK has no zip reader, so this reads the archive's central directory
//! itself (a few dozen lines) and inflates a deflated entry with `miniz_oxide`: pure Rust,
//! no C, already the inflater behind `flate2`, and a small addition to the wasm — lighter
//! than the `zip` crate, which brings several codecs and file-system plumbing a component
//! has no use for. Stored (uncompressed) entries are copied as they are. A file that is not
//! a zip (no `PK` signature) is taken as the CSV itself, so a plain-CSV export works too.

use junction_sdk::types::ConnectorError;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_DIRECTORY: u32 = 0x0605_4b50;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;

fn broken(what: &str) -> ConnectorError {
    ConnectorError::upstream(
        200,
        format!("the export file is not a readable zip: {what}"),
    )
}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16, ConnectorError> {
    bytes
        .get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| broken("truncated header"))
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, ConnectorError> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| broken("truncated header"))
}

/// Whether `bytes` start like a zip archive.
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.len() >= 4 && u32_at(bytes, 0).is_ok_and(|sig| sig == LOCAL_HEADER)
}

/// One entry as the central directory describes it.
struct Entry {
    name: String,
    method: u16,
    compressed: usize,
    local_offset: usize,
}

fn entries(bytes: &[u8]) -> Result<Vec<Entry>, ConnectorError> {
    // The end record is 22 bytes plus a comment of up to 64 KiB, searched from the end.
    let lowest = bytes.len().saturating_sub(22 + usize::from(u16::MAX));
    let end = (lowest..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&at| u32_at(bytes, at).is_ok_and(|sig| sig == END_OF_DIRECTORY))
        .ok_or_else(|| broken("no end of central directory"))?;
    let count = u16_at(bytes, end + 10)?;
    let mut at = u32_at(bytes, end + 16)? as usize;
    let mut found = Vec::new();
    for _ in 0..count {
        if u32_at(bytes, at)? != CENTRAL_HEADER {
            return Err(broken("bad central directory entry"));
        }
        let name_len = usize::from(u16_at(bytes, at + 28)?);
        let extra_len = usize::from(u16_at(bytes, at + 30)?);
        let comment_len = usize::from(u16_at(bytes, at + 32)?);
        let name = bytes
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(|| broken("truncated entry name"))?;
        found.push(Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            method: u16_at(bytes, at + 10)?,
            compressed: u32_at(bytes, at + 20)? as usize,
            local_offset: u32_at(bytes, at + 42)? as usize,
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(found)
}

fn entry_data(bytes: &[u8], entry: &Entry) -> Result<Vec<u8>, ConnectorError> {
    let at = entry.local_offset;
    if u32_at(bytes, at)? != LOCAL_HEADER {
        return Err(broken("bad local header"));
    }
    let start =
        at + 30 + usize::from(u16_at(bytes, at + 26)?) + usize::from(u16_at(bytes, at + 28)?);
    let data = bytes
        .get(start..start + entry.compressed)
        .ok_or_else(|| broken("truncated entry data"))?;
    match entry.method {
        STORED => Ok(data.to_vec()),
        DEFLATED => miniz_oxide::inflate::decompress_to_vec(data)
            .map_err(|e| broken(&format!("entry {} does not inflate ({e:?})", entry.name))),
        other => Err(broken(&format!(
            "entry {} uses compression method {other} (only stored and deflated are read)",
            entry.name
        ))),
    }
}

/// The CSV text of an export file: the first `.csv` entry of a zip (else its first entry),
/// or the file itself when it is not a zip.
pub fn export_csv(bytes: &[u8]) -> Result<String, ConnectorError> {
    let data = if is_zip(bytes) {
        let all = entries(bytes)?;
        let entry = all
            .iter()
            .find(|e| e.name.to_ascii_lowercase().ends_with(".csv"))
            .or_else(|| all.first())
            .ok_or_else(|| broken("the archive is empty"))?;
        entry_data(bytes, entry)?
    } else {
        bytes.to_vec()
    };
    String::from_utf8(data)
        .map_err(|_| ConnectorError::upstream(200, "the export's CSV is not UTF-8"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod tests {
    use super::*;

    /// A one-entry zip (no CRC: the reader does not check it).
    pub(crate) fn zip_of(name: &str, data: &[u8], method: u16) -> Vec<u8> {
        let stored = match method {
            DEFLATED => miniz_oxide::deflate::compress_to_vec(data, 6),
            _ => data.to_vec(),
        };
        let mut out = Vec::new();
        out.extend_from_slice(&LOCAL_HEADER.to_le_bytes());
        out.extend_from_slice(&[20, 0, 0, 0]);
        out.extend_from_slice(&method.to_le_bytes());
        out.extend_from_slice(&[0; 8]); // time, date, crc
        out.extend_from_slice(&(stored.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&stored);
        let directory = out.len() as u32;
        out.extend_from_slice(&CENTRAL_HEADER.to_le_bytes());
        out.extend_from_slice(&[20, 0, 20, 0, 0, 0]);
        out.extend_from_slice(&method.to_le_bytes());
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&(stored.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        let size = out.len() as u32 - directory;
        out.extend_from_slice(&END_OF_DIRECTORY.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&directory.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    #[test]
    fn reads_stored_and_deflated_entries_and_plain_csv() {
        let csv = "_email,_name\na@x.io,Ann\n".repeat(20);
        for method in [STORED, DEFLATED] {
            let zip = zip_of("contacts.csv", csv.as_bytes(), method);
            assert!(is_zip(&zip));
            assert_eq!(export_csv(&zip).unwrap(), csv, "method {method}");
        }
        assert_eq!(export_csv(csv.as_bytes()).unwrap(), csv);
        let mut bzip = zip_of("contacts.csv", b"x", 12);
        assert!(
            export_csv(&bzip)
                .unwrap_err()
                .message()
                .contains("method 12")
        );
        bzip.truncate(40);
        assert!(export_csv(&bzip).is_err());
    }
}
