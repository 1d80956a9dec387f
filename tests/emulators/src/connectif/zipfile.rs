//! Export files as Connectif serves them: a zip archive holding one CSV. Entries are
//! *stored* (not compressed): still a valid zip any reader opens, and the emulator needs no
//! compression crate. The CRC-32 the format requires is computed here.

/// The CRC-32 (IEEE) of `data`.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

fn u16_le(out: &mut Vec<u8>, v: usize) {
    out.extend_from_slice(&u16::try_from(v).unwrap_or(u16::MAX).to_le_bytes());
}

fn u32_le(out: &mut Vec<u8>, v: usize) {
    out.extend_from_slice(&u32::try_from(v).unwrap_or(u32::MAX).to_le_bytes());
}

/// A zip archive with one stored entry `name` holding `data`.
pub(crate) fn single_entry(name: &str, data: &[u8]) -> Vec<u8> {
    let crc = crc32(data).to_le_bytes();
    let mut out = Vec::with_capacity(data.len() + 2 * name.len() + 100);
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version, flags, stored, time, date
    out.extend_from_slice(&crc);
    u32_le(&mut out, data.len());
    u32_le(&mut out, data.len());
    u16_le(&mut out, name.len());
    u16_le(&mut out, 0);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(data);
    let directory = out.len();
    out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    out.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&crc);
    u32_le(&mut out, data.len());
    u32_le(&mut out, data.len());
    u16_le(&mut out, name.len());
    out.extend_from_slice(&[0; 12]); // extra, comment, disk, internal and external attributes
    u32_le(&mut out, 0); // local header offset
    out.extend_from_slice(name.as_bytes());
    let directory_len = out.len() - directory;
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
    u32_le(&mut out, directory_len);
    u32_le(&mut out, directory);
    u16_le(&mut out, 0);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn crc_and_layout() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        let zip = single_entry("contacts.csv", b"_email\r\n");
        assert!(zip.starts_with(b"PK\x03\x04"));
        let end = zip.len() - 22;
        assert_eq!(&zip[end..end + 4], b"PK\x05\x06");
        let at = 30 + "contacts.csv".len();
        assert_eq!(&zip[at..at + 8], b"_email\r\n");
    }
}
