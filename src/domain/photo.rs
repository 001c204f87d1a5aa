//! A photo people upload (the bouquet, the handover): what kind of image it is, told by its
//! bytes and never by its name or the type the browser claims; whether it is whole; its size
//! limit; and the name it is stored under in R2, made from its bytes (the same photo twice is
//! one object).

use sha2::{Digest, Sha256};

/// The largest photo taken (a phone's camera: 2–6 MB; Telegram's upload limit is 10 MB).
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;

/// The image kinds taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
    /// HEIF/HEIC, as iPhones take them.
    Heic,
}

impl ImageKind {
    #[must_use]
    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Webp => "image/webp",
            ImageKind::Heic => "image/heic",
        }
    }

    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "jpg",
            ImageKind::Png => "png",
            ImageKind::Webp => "webp",
            ImageKind::Heic => "heic",
        }
    }

    /// Reads a stored content type back.
    #[must_use]
    pub fn from_content_type(content_type: &str) -> Option<ImageKind> {
        [ImageKind::Jpeg, ImageKind::Png, ImageKind::Webp, ImageKind::Heic]
            .into_iter()
            .find(|kind| kind.content_type() == content_type)
    }

    /// Telegram shows JPEG, PNG and WebP as a photo; a HEIC goes as a document.
    #[must_use]
    pub fn telegram_shows_as_photo(self) -> bool {
        self != ImageKind::Heic
    }
}

/// Why a photo is not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoProblem {
    /// No file was chosen.
    Missing,
    TooLarge {
        size: usize,
    },
    /// Not a JPEG, PNG, WebP or HEIC, whatever its name says.
    NotAnImage,
    /// An image whose end is missing (the upload broke off).
    Truncated(ImageKind),
}

impl PhotoProblem {
    /// What the person reads beside the file field.
    #[must_use]
    pub fn message_ru(self) -> String {
        match self {
            PhotoProblem::Missing => "Выберите фото или снимите его камерой".into(),
            PhotoProblem::TooLarge { size } => format!(
                "Фото весит {} МБ, а можно не больше {} МБ",
                format!("{:.1}", size as f64 / 1_048_576.0).replace('.', ","),
                MAX_PHOTO_BYTES / 1_048_576
            ),
            PhotoProblem::NotAnImage => "Это не фото: подходят JPEG, PNG, WebP и HEIC".into(),
            PhotoProblem::Truncated(_) => "Фото загрузилось не полностью: попробуйте ещё раз".into(),
        }
    }
}

/// The `ftyp` brands of HEIF images.
const HEIF_BRANDS: [&[u8; 4]; 8] = [b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"];

/// The most top-level boxes a HEIF file is walked through (a real one has about five).
const MAX_HEIF_BOXES: usize = 64;

/// Tells the photo's kind by its bytes and checks that it is whole.
///
/// # Errors
/// The [`PhotoProblem`].
pub fn sniff(bytes: &[u8]) -> Result<ImageKind, PhotoProblem> {
    if bytes.is_empty() {
        return Err(PhotoProblem::Missing);
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoProblem::TooLarge { size: bytes.len() });
    }
    let kind = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        ImageKind::Jpeg
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        ImageKind::Png
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        ImageKind::Webp
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" && HEIF_BRANDS.iter().any(|b| &bytes[8..12] == *b) {
        ImageKind::Heic
    } else {
        return Err(PhotoProblem::NotAnImage);
    };
    if whole(kind, bytes) {
        Ok(kind)
    } else {
        Err(PhotoProblem::Truncated(kind))
    }
}

fn whole(kind: ImageKind, bytes: &[u8]) -> bool {
    match kind {
        // The End Of Image marker, after which some cameras pad with zeros.
        ImageKind::Jpeg => {
            let end = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
            end >= 4 && bytes[end - 2..end] == [0xFF, 0xD9]
        }
        // The IEND chunk, with its CRC.
        ImageKind::Png => bytes.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]),
        // The RIFF size covers the rest of the file.
        ImageKind::Webp => {
            let size = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
            size.checked_add(8).is_some_and(|total| total <= bytes.len())
        }
        // The top-level boxes end exactly at the end of the file.
        ImageKind::Heic => {
            let mut at = 0_usize;
            for _ in 0..MAX_HEIF_BOXES {
                if at == bytes.len() {
                    return true;
                }
                let Some(header) = bytes.get(at..at + 8) else { return false };
                let size = match u32::from_be_bytes([header[0], header[1], header[2], header[3]]) {
                    0 => return true, // to the end of the file
                    1 => match bytes.get(at + 8..at + 16) {
                        Some(large) => usize::try_from(u64::from_be_bytes(large.try_into().unwrap_or([0; 8])))
                            .unwrap_or(usize::MAX),
                        None => return false,
                    },
                    size => size as usize,
                };
                if size < 8 {
                    return false;
                }
                match at.checked_add(size) {
                    Some(next) if next <= bytes.len() => at = next,
                    _ => return false,
                }
            }
            false
        }
    }
}

/// The R2 key of an order's photo: its bytes' SHA-256 names it.
#[must_use]
pub fn photo_key(order_id: &str, purpose: &str, kind: ImageKind, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("orders/{order_id}/{purpose}-{hex}.{}", kind.extension())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The smallest whole JPEG-shaped file: SOI, an APP0 marker, EOI.
    pub fn jpeg() -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        bytes.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        bytes.extend_from_slice(&[0x12; 300]);
        bytes.extend_from_slice(&[0xFF, 0xD9]);
        bytes
    }

    fn png() -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend_from_slice(&[0x34; 40]);
        bytes.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
        bytes
    }

    fn heic() -> Vec<u8> {
        let mut bytes = vec![0, 0, 0, 24];
        bytes.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
        bytes.extend_from_slice(&[0, 0, 0, 16]);
        bytes.extend_from_slice(b"mdat12345678");
        bytes
    }

    #[test]
    fn each_kind_is_told_by_its_bytes_whatever_it_is_called() {
        assert_eq!(sniff(&jpeg()), Ok(ImageKind::Jpeg));
        assert_eq!(sniff(&png()), Ok(ImageKind::Png));
        assert_eq!(sniff(&heic()), Ok(ImageKind::Heic));
        let mut webp = b"RIFF\x08\0\0\0WEBPVP8 ".to_vec();
        webp.extend_from_slice(&[0; 0]);
        assert_eq!(sniff(&webp), Ok(ImageKind::Webp));
        assert_eq!(sniff(b"%PDF-1.7 not a photo"), Err(PhotoProblem::NotAnImage));
        assert_eq!(sniff(b"GIF89a......"), Err(PhotoProblem::NotAnImage));
        assert_eq!(sniff(b""), Err(PhotoProblem::Missing));
    }

    #[test]
    fn a_photo_whose_end_is_missing_is_truncated() {
        let jpeg = jpeg();
        assert_eq!(sniff(&jpeg[..jpeg.len() - 40]), Err(PhotoProblem::Truncated(ImageKind::Jpeg)));
        let mut padded = jpeg.clone();
        padded.extend_from_slice(&[0; 16]);
        assert_eq!(sniff(&padded), Ok(ImageKind::Jpeg), "zero padding after EOI is whole");
        let png = png();
        assert_eq!(sniff(&png[..png.len() - 1]), Err(PhotoProblem::Truncated(ImageKind::Png)));
        let heic = heic();
        assert_eq!(sniff(&heic[..heic.len() - 3]), Err(PhotoProblem::Truncated(ImageKind::Heic)));
        assert_eq!(sniff(b"RIFF\xff\0\0\0WEBPVP8 "), Err(PhotoProblem::Truncated(ImageKind::Webp)));
    }

    #[test]
    fn a_photo_over_ten_megabytes_is_refused_with_its_size_in_words() {
        let big = vec![0xFF; MAX_PHOTO_BYTES + 1];
        let problem = sniff(&big).unwrap_err();
        assert_eq!(problem, PhotoProblem::TooLarge { size: MAX_PHOTO_BYTES + 1 });
        assert_eq!(problem.message_ru(), "Фото весит 10,0 МБ, а можно не больше 10 МБ");
    }

    #[test]
    fn the_same_bytes_get_the_same_key_and_other_bytes_another() {
        let a = photo_key("o1", "bouquet", ImageKind::Jpeg, &jpeg());
        assert_eq!(a, photo_key("o1", "bouquet", ImageKind::Jpeg, &jpeg()));
        assert!(a.starts_with("orders/o1/bouquet-") && a.ends_with(".jpg"), "{a}");
        assert_ne!(a, photo_key("o1", "bouquet", ImageKind::Png, &png()));
    }
}
