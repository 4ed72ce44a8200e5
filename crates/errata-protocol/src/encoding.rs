//! Request body decoding: undoing `Content-Encoding` without trusting the sender.
//!
//! SDKs compress bodies with gzip (Python, Java, large Node bodies), `br`, `zstd` or
//! `deflate`, and some send nonsense values (`""`, `UTF-8`) that must be ignored. This
//! module owns turning the raw body into the bytes the envelope parser reads, within a
//! limit the caller passes: output over the limit is [`Error::TooLarge`] and the decoder
//! never holds much more than the limit in memory, whatever the compressed size or any
//! size header claims (zip bombs stop after `limit + 1` bytes). Identity bodies are
//! returned without a copy.

use std::borrow::Cow;
use std::io::{self, Read};

use bytes::Bytes;
use flate2::{Decompress, FlushDecompress, Status};

use crate::Error;

/// At most this many stacked encodings (`gzip, br`) are undone: more is never legitimate
/// and each layer costs a full pass.
const MAX_LAYERS: usize = 4;

/// The smallest buffer a decoder starts with.
const MIN_CHUNK: usize = 8 * 1024;

/// The largest zstd window accepted (`2^23` = 8 MiB): every compression level up to 19
/// stays within it, and a frame asking for more (`--long`) is refused instead of making
/// the decoder allocate up to 2 GiB.
pub const ZSTD_MAX_WINDOW_LOG: u32 = 23;

/// All layers of a stacked encoding together may produce at most this many times the
/// limit (each layer alone is held to the limit).
pub const STACKED_TOTAL_FACTOR: usize = 2;

/// One `Content-Encoding` token we can undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `identity`: nothing to undo.
    Identity,
    /// `gzip` or `x-gzip` (one or more gzip members).
    Gzip,
    /// `deflate`: zlib-wrapped as the RFC says, or raw deflate as some clients send.
    Deflate,
    /// `br` (Brotli).
    Brotli,
    /// `zstd` (one or more Zstandard frames).
    Zstd,
}

impl Encoding {
    /// Parses one token of a `Content-Encoding` header. Returns `Ok(None)` for tokens to
    /// ignore (empty, `UTF-8`).
    pub fn parse_token(token: &str) -> Result<Option<Self>, Error> {
        let token = token.trim();
        let encoding = if token.is_empty() || token.eq_ignore_ascii_case("utf-8") {
            return Ok(None);
        } else if token.eq_ignore_ascii_case("identity") {
            Self::Identity
        } else if token.eq_ignore_ascii_case("gzip") || token.eq_ignore_ascii_case("x-gzip") {
            Self::Gzip
        } else if token.eq_ignore_ascii_case("deflate") {
            Self::Deflate
        } else if token.eq_ignore_ascii_case("br") {
            Self::Brotli
        } else if token.eq_ignore_ascii_case("zstd") {
            Self::Zstd
        } else {
            return Err(Error::UnsupportedEncoding(token.to_owned()));
        };
        Ok(Some(encoding))
    }

    /// The canonical token.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Gzip => "gzip",
            Self::Deflate => "deflate",
            Self::Brotli => "br",
            Self::Zstd => "zstd",
        }
    }

    /// Undoes this one encoding, producing at most `limit` bytes.
    pub fn decompress(self, input: &[u8], limit: usize) -> Result<Vec<u8>, Error> {
        match self {
            Self::Identity => {
                check_len(input.len(), limit)?;
                Ok(input.to_vec())
            }
            Self::Gzip => read_bounded(
                flate2::bufread::MultiGzDecoder::new(input),
                input.len(),
                limit,
                self,
            ),
            Self::Deflate => inflate(input, is_zlib_header(input), limit, self.as_str()),
            Self::Brotli => read_bounded(
                brotli_decompressor::Decompressor::new(input, 4096),
                input.len(),
                limit,
                self,
            ),
            Self::Zstd => {
                let mut decoder = zstd::stream::read::Decoder::with_buffer(input)
                    .map_err(|e| decompression(self.as_str(), &e))?;
                // The window is memory the decoder allocates up front: capped.
                decoder
                    .window_log_max(ZSTD_MAX_WINDOW_LOG)
                    .map_err(|e| decompression(self.as_str(), &e))?;
                read_bounded(decoder, input.len(), limit, self)
            }
        }
    }
}

fn too_large(limit: usize) -> Error {
    Error::TooLarge {
        what: "decompressed body".to_owned(),
        limit,
    }
}

fn check_len(len: usize, limit: usize) -> Result<(), Error> {
    if len > limit {
        Err(too_large(limit))
    } else {
        Ok(())
    }
}

fn decompression(encoding: &'static str, detail: &dyn std::fmt::Display) -> Error {
    Error::Decompression {
        encoding,
        detail: detail.to_string(),
    }
}

/// The first guess for an output buffer: a few times the input, within the limit.
fn initial_capacity(input_len: usize, cap: usize) -> usize {
    input_len.saturating_mul(4).max(MIN_CHUNK).min(cap)
}

/// Grows `buf` geometrically but never past `cap` bytes of capacity.
fn grow(buf: &mut Vec<u8>, cap: usize) {
    let target = buf.capacity().saturating_mul(2).max(MIN_CHUNK).min(cap);
    buf.reserve_exact(target.saturating_sub(buf.len()));
}

/// Reads a decoder to its end into a buffer of at most `limit + 1` bytes.
fn read_bounded(
    mut reader: impl Read,
    input_len: usize,
    limit: usize,
    encoding: Encoding,
) -> Result<Vec<u8>, Error> {
    let cap = limit.saturating_add(1);
    let mut buf = Vec::new();
    buf.reserve_exact(initial_capacity(input_len, cap));
    let mut len = 0;
    loop {
        if len == buf.len() {
            if len >= cap {
                return Err(too_large(limit));
            }
            if buf.capacity() == buf.len() {
                grow(&mut buf, cap);
            }
            let new_len = buf.capacity().min(cap);
            buf.resize(new_len, 0);
        }
        let Some(dst) = buf.get_mut(len..) else {
            return Err(too_large(limit));
        };
        match reader.read(dst) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(decompression(encoding.as_str(), &e)),
        }
    }
    buf.truncate(len);
    check_len(len, limit)?;
    Ok(buf)
}

/// Whether `input` starts with a valid zlib header (RFC 1950: CM = 8, CINFO <= 7, and the
/// two header bytes form a multiple of 31). Raw deflate almost never looks like that.
pub(crate) fn is_zlib_header(input: &[u8]) -> bool {
    match input {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

/// Inflates a zlib (`zlib = true`) or raw deflate stream into at most `limit` bytes.
///
/// Unlike the `Read` adapters, a stream that ends before its final block is an error
/// here, not a silently short body.
pub(crate) fn inflate(
    input: &[u8],
    zlib: bool,
    limit: usize,
    encoding: &'static str,
) -> Result<Vec<u8>, Error> {
    let cap = limit.saturating_add(1);
    let mut decoder = Decompress::new(zlib);
    let mut out = Vec::new();
    out.reserve_exact(initial_capacity(input.len(), cap));
    loop {
        if out.len() == out.capacity() {
            if out.len() >= cap {
                return Err(too_large(limit));
            }
            grow(&mut out, cap);
        }
        let consumed = usize::try_from(decoder.total_in()).unwrap_or(usize::MAX);
        let rest = input.get(consumed..).unwrap_or_default();
        let before = out.len();
        let status = decoder
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|e| decompression(encoding, &e))?;
        if out.len() > limit {
            return Err(too_large(limit));
        }
        match status {
            Status::StreamEnd => return Ok(out),
            Status::Ok | Status::BufError => {
                let progressed = out.len() != before
                    || usize::try_from(decoder.total_in()).unwrap_or(usize::MAX) != consumed;
                if !progressed && out.len() < out.capacity() {
                    return Err(decompression(
                        encoding,
                        &"unexpected end of compressed data",
                    ));
                }
            }
        }
    }
}

/// Splits a `Content-Encoding` header into the encodings to undo, first-applied first.
/// Validates every token before any work is done.
fn layers(content_encoding: &str) -> Result<([Encoding; MAX_LAYERS], usize), Error> {
    let mut out = [Encoding::Identity; MAX_LAYERS];
    let mut n = 0;
    for token in content_encoding.split(',') {
        match Encoding::parse_token(token)? {
            None | Some(Encoding::Identity) => {}
            Some(encoding) => {
                let slot = out.get_mut(n).ok_or_else(|| {
                    Error::UnsupportedEncoding(format!(
                        "{content_encoding} (more than {MAX_LAYERS} stacked encodings)"
                    ))
                })?;
                *slot = encoding;
                n += 1;
            }
        }
    }
    Ok((out, n))
}

/// Decodes a request body according to its `Content-Encoding` header, producing at most
/// `limit` bytes.
///
/// Stacked encodings (`gzip, br`) are undone last-applied first; each layer's output is
/// held to `limit`, and all layers together to [`STACKED_TOTAL_FACTOR`] times `limit`.
/// Without an encoding to undo, the body is returned borrowed (no copy) after the size
/// check.
pub fn decode<'a>(
    body: &'a [u8],
    content_encoding: Option<&str>,
    limit: usize,
) -> Result<Cow<'a, [u8]>, Error> {
    let (layers, n) = layers(content_encoding.unwrap_or_default())?;
    let mut current: Cow<'a, [u8]> = Cow::Borrowed(body);
    let mut budget = limit.saturating_mul(STACKED_TOTAL_FACTOR);
    for encoding in layers.iter().take(n).rev() {
        let layer_limit = limit.min(budget);
        current = Cow::Owned(encoding.decompress(&current, layer_limit)?);
        budget = budget.saturating_sub(current.len());
    }
    check_len(current.len(), limit)?;
    Ok(current)
}

/// [`decode`] for a body already in [`Bytes`]: identity bodies are returned as the same
/// buffer (a reference count, no copy), so envelope items can point into it.
pub fn decode_bytes(
    body: Bytes,
    content_encoding: Option<&str>,
    limit: usize,
) -> Result<Bytes, Error> {
    match decode(&body, content_encoding, limit)? {
        Cow::Borrowed(_) => Ok(body),
        Cow::Owned(decoded) => Ok(Bytes::from(decoded)),
    }
}

/// Decodes only the start of a body: up to and including its first line feed, or at most
/// `max` bytes. Streams through every layer, so a compression bomb costs at most `max`
/// bytes of output; used to read an envelope's header line (its `dsn`) before the key is
/// known, without decoding the whole body.
pub fn decode_first_line(
    body: &[u8],
    content_encoding: Option<&str>,
    max: usize,
) -> Result<Vec<u8>, Error> {
    let (layers, n) = layers(content_encoding.unwrap_or_default())?;
    let mut reader: Box<dyn Read + '_> = Box::new(body);
    for encoding in layers.iter().take(n).rev() {
        reader = match encoding {
            Encoding::Identity => reader,
            Encoding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(reader)),
            Encoding::Deflate => {
                // zlib or raw deflate: look at the first two bytes of this layer.
                let mut head = [0u8; 2];
                let mut got = 0;
                while got < head.len() {
                    let Some(dst) = head.get_mut(got..) else {
                        break;
                    };
                    match read_up_to(&mut reader, dst, Encoding::Deflate)? {
                        0 => break,
                        n => got += n,
                    }
                }
                let head = head.get(..got).unwrap_or_default().to_vec();
                let zlib = is_zlib_header(&head);
                let chained = io::Cursor::new(head).chain(reader);
                if zlib {
                    Box::new(flate2::read::ZlibDecoder::new(chained))
                } else {
                    Box::new(flate2::read::DeflateDecoder::new(chained))
                }
            }
            Encoding::Brotli => Box::new(brotli_decompressor::Decompressor::new(reader, 4096)),
            Encoding::Zstd => {
                let mut decoder = zstd::stream::read::Decoder::new(reader)
                    .map_err(|e| decompression("zstd", &e))?;
                decoder
                    .window_log_max(ZSTD_MAX_WINDOW_LOG)
                    .map_err(|e| decompression("zstd", &e))?;
                Box::new(decoder)
            }
        };
    }
    let mut out = vec![0u8; max.min(64 * 1024)];
    let mut len = 0;
    let last = layers
        .get(n.saturating_sub(1))
        .copied()
        .unwrap_or(Encoding::Identity);
    while len < max {
        if len == out.len() {
            out.resize(out.len().saturating_mul(2).min(max), 0);
        }
        let Some(dst) = out.get_mut(len..) else { break };
        let got = read_up_to(&mut reader, dst, last)?;
        if got == 0 {
            break;
        }
        let newline = memchr::memchr(b'\n', dst.get(..got).unwrap_or_default());
        len += got;
        if let Some(at) = newline {
            len = len - got + at + 1;
            break;
        }
    }
    out.truncate(len);
    Ok(out)
}

/// One `read` into `buf` (retrying on `Interrupted`), as a decompression error on failure.
fn read_up_to(reader: &mut dyn Read, buf: &mut [u8], encoding: Encoding) -> Result<usize, Error> {
    loop {
        match reader.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(decompression(encoding.as_str(), &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::time::{Duration, Instant};

    use base64::Engine as _;
    use flate2::Compression;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};

    use super::*;

    const MIB: usize = 1024 * 1024;
    const GIB: usize = 1024 * MIB;

    fn sample() -> Vec<u8> {
        let mut s = Vec::new();
        for i in 0..2000 {
            s.extend_from_slice(format!("{{\"line\":{i},\"msg\":\"hello wörld\"}}\n").as_bytes());
        }
        s
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).expect("write");
        e.finish().expect("finish")
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).expect("write");
        e.finish().expect("finish")
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).expect("write");
        e.finish().expect("finish")
    }

    fn brotli(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
            w.write_all(data).expect("write");
        }
        out
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        zstd::stream::encode_all(data, 3).expect("zstd")
    }

    fn assert_too_large(r: Result<Cow<'_, [u8]>, Error>, limit: usize) {
        match r {
            Err(Error::TooLarge { limit: l, .. }) => assert_eq!(l, limit),
            Err(e) => panic!("expected TooLarge, got {e}"),
            Ok(v) => panic!("expected TooLarge, got {} bytes", v.len()),
        }
    }

    fn assert_decompression(r: Result<Cow<'_, [u8]>, Error>, encoding: &str) {
        match r {
            Err(Error::Decompression { encoding: e, .. }) => assert_eq!(e, encoding),
            Err(e) => panic!("expected Decompression, got {e}"),
            Ok(v) => panic!("expected Decompression, got {} bytes", v.len()),
        }
    }

    #[test]
    fn identity_does_not_copy() {
        let body = b"{}\n".as_slice();
        for enc in [
            None,
            Some(""),
            Some("identity"),
            Some("UTF-8"),
            Some(" utf-8 "),
        ] {
            let out = decode(body, enc, 10).expect("identity");
            assert!(
                matches!(out, Cow::Borrowed(b) if b.as_ptr() == body.as_ptr()),
                "{enc:?}"
            );
        }
        let bytes = Bytes::from_static(b"{}\n");
        let out = decode_bytes(bytes.clone(), None, 10).expect("identity");
        assert_eq!(out.as_ptr(), bytes.as_ptr());
        assert_too_large(decode(body, None, 2), 2);
    }

    #[test]
    fn every_encoding_round_trips() {
        let data = sample();
        let cases: [(&str, Vec<u8>); 6] = [
            ("gzip", gzip(&data)),
            ("x-gzip", gzip(&data)),
            ("deflate", zlib(&data)),
            ("deflate", raw_deflate(&data)),
            ("br", brotli(&data)),
            ("zstd", zstd(&data)),
        ];
        for (name, body) in cases {
            assert_ne!(body, data);
            let out = decode(&body, Some(name), data.len()).expect(name);
            assert_eq!(out.as_ref(), data.as_slice(), "{name}");
            // One byte less than the output is over the limit.
            assert_too_large(decode(&body, Some(name), data.len() - 1), data.len() - 1);
            let upper = name.to_ascii_uppercase();
            assert_eq!(
                decode(&body, Some(&upper), data.len()).expect(name).len(),
                data.len()
            );
        }
    }

    #[test]
    fn empty_inputs_and_outputs() {
        assert_eq!(
            decode(&gzip(b""), Some("gzip"), 0)
                .expect("empty gzip")
                .len(),
            0
        );
        assert_eq!(
            decode(&zstd(b""), Some("zstd"), 0)
                .expect("empty zstd")
                .len(),
            0
        );
        assert_eq!(
            decode(&zlib(b""), Some("deflate"), 0)
                .expect("empty zlib")
                .len(),
            0
        );
        assert_decompression(decode(b"", Some("gzip"), 10), "gzip");
        assert_decompression(decode(b"", Some("deflate"), 10), "deflate");
        assert_decompression(decode(b"", Some("br"), 10), "br");
        assert_decompression(decode(b"", Some("zstd"), 10), "zstd");
    }

    #[test]
    fn stacked_encodings_are_undone_in_reverse() {
        let data = sample();
        let body = brotli(&gzip(&data));
        let out = decode(&body, Some("gzip, br"), MIB).expect("stacked");
        assert_eq!(out.as_ref(), data.as_slice());
        // The wrong order fails.
        assert!(decode(&body, Some("br, gzip"), MIB).is_err());
        let body = gzip(&data);
        assert_eq!(
            decode(&body, Some("identity, gzip,"), MIB)
                .expect("ok")
                .len(),
            data.len()
        );
        assert!(matches!(
            decode(&body, Some("gzip,gzip,gzip,gzip,gzip"), MIB),
            Err(Error::UnsupportedEncoding(_))
        ));
    }

    #[test]
    fn unknown_encoding_is_rejected_before_work() {
        let r = decode(b"xyz", Some("gzip, compress"), 10);
        assert!(
            matches!(r, Err(Error::UnsupportedEncoding(ref e)) if e == "compress"),
            "{r:?}"
        );
        assert!(r.is_err_and(|e| e.is_malformed()));
    }

    #[test]
    fn truncated_and_corrupt_streams_fail() {
        let data = sample();
        for (name, body) in [
            ("gzip", gzip(&data)),
            ("deflate", zlib(&data)),
            ("deflate", raw_deflate(&data)),
            ("br", brotli(&data)),
            ("zstd", zstd(&data)),
        ] {
            for cut in [body.len() / 2, body.len() - 1] {
                let truncated = body.get(..cut).expect("cut");
                assert_decompression(decode(truncated, Some(name), MIB), name);
            }
        }
        let mut corrupt = gzip(&data);
        if let Some(b) = corrupt.get_mut(20) {
            *b ^= 0xff;
        }
        assert_decompression(decode(&corrupt, Some("gzip"), MIB), "gzip");
        assert_decompression(decode(b"definitely not gzip", Some("gzip"), MIB), "gzip");
        assert_decompression(decode(b"\xff\xff\xff\xff", Some("zstd"), MIB), "zstd");
        assert_decompression(decode(b"\xff\xff\xff\xff", Some("deflate"), MIB), "deflate");
        assert_decompression(decode(b"\xff\xff\xff\xff", Some("br"), MIB), "br");
    }

    #[test]
    fn multi_member_gzip() {
        let mut body = gzip(b"hello ");
        body.extend(gzip(b"world"));
        assert_eq!(
            decode(&body, Some("gzip"), 100).expect("members").as_ref(),
            b"hello world"
        );
    }

    /// A raw deflate stream of `total` zeros, built by repeating one byte-aligned block
    /// (so the test does not have to compress a GiB). `final_block` ends the stream.
    fn deflate_zeros(total: usize) -> Vec<u8> {
        let block_len = MIB;
        let mut d = flate2::Compress::new(Compression::best(), false);
        let mut block = Vec::with_capacity(8 * 1024);
        d.compress_vec(&vec![0; block_len], &mut block, flate2::FlushCompress::Sync)
            .expect("compress");
        assert!(block.len() < 8 * 1024, "block is {} bytes", block.len());
        let mut out = Vec::with_capacity(block.len() * (total / block_len) + 8);
        for _ in 0..total / block_len {
            out.extend_from_slice(&block);
        }
        // An empty final stored block.
        out.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
        out
    }

    #[test]
    fn deflate_zeros_helper_is_valid() {
        let body = deflate_zeros(4 * MIB);
        let out = decode(&body, Some("deflate"), 4 * MIB).expect("valid stream");
        assert_eq!(out.len(), 4 * MIB);
        assert!(out.iter().all(|&b| b == 0));
    }

    #[test]
    fn zip_bombs_stop_at_the_limit() {
        let raw = deflate_zeros(GIB);
        assert!(raw.len() < 16 * MIB);
        // gzip: header, the deflate stream, then a trailer the decoder never reaches
        // (computing the real CRC of 1 GiB would dominate the test).
        let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        gz.extend_from_slice(&raw);
        gz.extend_from_slice(&[0; 8]);
        // zlib: header 78 9c, stream, (unreached) adler32.
        let mut zl = vec![0x78, 0x9c];
        zl.extend_from_slice(&raw);
        zl.extend_from_slice(&[0; 4]);
        // zstd: frames can be concatenated; 128 frames of 8 MiB zeros.
        let frame = zstd(&vec![0; 8 * MIB]);
        let zs: Vec<u8> = std::iter::repeat_n(frame.as_slice(), 128)
            .flatten()
            .copied()
            .collect();
        let br = base64::engine::general_purpose::STANDARD
            .decode(BROTLI_GIB_OF_ZEROS.replace(['\n', ' '], ""))
            .expect("fixture");

        for (name, body) in [
            ("gzip", &gz),
            ("deflate", &zl),
            ("deflate", &raw),
            ("zstd", &zs),
            ("br", &br),
        ] {
            let start = Instant::now();
            assert_too_large(decode(body, Some(name), MIB), MIB);
            let took = start.elapsed();
            assert!(took < Duration::from_secs(5), "{name} took {took:?}");
        }
    }

    /// `brotli -q 5` of 1 GiB of zeros (1617 bytes), generated with the Python bindings:
    /// the crate has no compressor fast enough in debug builds.
    const BROTLI_GIB_OF_ZEROS: &str = "y///PwAkAOKxQHLv//j//weABEAcFoDu/R////8AkACIwwLQvf/j//8fABIAcVgAuvd//P//A0ACIA4LQPf+j///\
         fwBIAMRhAeje//H//w8ACYA4LADd+z/+//8BIAEQhwWge//H//8/ACQA4rAAdO//+P//B4AEQBwWgO79H////wCQ\
         AIjDAtC9/+P//x8AEgBxWAC693/8//8DQAIgDgtA9/6P//9/AEgAxGEB6N7/8f//DwAJgDgsAN37P/7//wEgARCH\
         BaB7/8f//z8AJADisAB07//4//8HgARAHBaA7v0f////AJAAiMMC0L3/4///HwASAHFYALr3f/z//wNAAiAOC0D3\
         /o///38ASADEYQHo3v/x//8PAAmAOCwA3fs//v//ASABEIcFoHv/x///PwAkAOKwAHTv//j//weABEAcFoDu/R//\
         //8AkACIwwLQvf/j//8fABIAcVgAuvd//P//A0ACIA4LQPf+j///fwBIAMRhAeje//H//w8ACYA4LADd+z/+//8B\
         IAEQhwWge//H//8/ACQA4rAAdO//+P//B4AEQBwWgO79H////wCQAIjDAtC9/+P//x8AEgBxWAC693/8//8DQAIg\
         DgtA9/6P//9/AEgAxGEB6N7/8f//DwAJgDgsAN37P/7//wEgARCHBaB7/8f//z8AJADisAB07//4//8HgARAHBaA\
         7v0f////AJAAiMMC0L3/4///HwASAHFYALr3f/z//wNAAiAOC0D3/o///38ASADEYQHo3v/x//8PAAmAOCwA3fs/\
         /v//ASABEIcFoHv/x///PwAkAOKwAHTv//j//weABEAcFoDu/R////8AkACIwwLQvf/j//8fABIAcVgAuvd//P//\
         A0ACIA4LQPf+j///fwBIAMRhAeje//H//w8ACYA4LADd+z/+//8BIAEQhwWge//H//8/ACQA4rAAdO//+P//B4AE\
         QBwWgO79H////wCQAIjDAtC9/+P//x8AEgBxWAC693/8//8DQAIgDgtA9/6P//9/AEgAxGEB6N7/8f//DwAJgDgs\
         AN37P/7//wEgARCHBaB7/8f//z8AJADisAB07//4//8HgARAHBaA7v0f////AJAAiMMC0L3/4///HwASAHFYALr3\
         f/z//wNAAiAOC0D3/o///38ASADEYQHo3v/x//8PAAmAOCwA3fs//v//ASABEIcFoHv/x///PwAkAOKwAHTv//j/\
         /weABEAcFoDu/R////8AkACIwwLQvf/j//8fABIAcVgAuvd//P//A0ACIA4LQPf+j///fwBIAMRhAeje//H//w8A\
         CYA4LADd+z/+//8BIAEQhwWge//H//8/ACQA4rAAdO//+P//B4AEQBwWgO79H////wCQAIjDAtC9/+P//x8AEgBx\
         WAC693/8//8DQAIgDgtA9/6P//9/AEgAxGEB6N7/8f//DwAJgDgsAN37P/7//wEgARCHBaB7/8f//z8AJADisAB0\
         7//4//8HgARAHBaA7v0f////AJAAiMMC0L3/4///HwASAHFYALr3f/z//wNAAiAOC0D3/o///38ASADEYQHo3v/x\
         //8PAAmAOCwA3fs//v//ASABEIcFoHv/x///PwAkAOKwAHTv//j//weABEAcFoDu/R////8AkACIwwLQvf/j//8f\
         ABIAcVgAuvd//P//A0ACIA4LQPf+j///fwBIAMRhAeje//H//w8ACYA4LADd+z/+//8BIAEQhwWge//H//8/ACQA\
         4rAAdO//+P//B4AEQBwWgO79H////wCQAIjDAtC9/+P//x8AEgBxWAC693/8//8DQAIgDgtA9/6P//9/AEgAxGEB\
         6N7/8f//DwAJgDgsAN37P/7//wEgARCHBaB7/8f//z8AJADisAB07//4//8HgARAHBaA7v0f////AJAAiMMC0L3/\
         4///HwASAHFYALr3f/z//wNAAiAOC0D3/o///38ASADEYQHo3v/x//8PAAmAOCwA3fs//v//ASABEIcFoHv/x///\
         PwAkAOKwAHTv//j//weABEAcFoDu/R////8AkACIwwLQvf/j//8fABIAcVgAuvd//P//A0ACIA4LQPf+j///fwBI\
         AMRhAeje//H//w8ACYA4LADd+z/+//8BIAEQhwWge/83";

    #[test]
    fn zstd_frames_asking_for_a_large_window_are_refused() {
        let data = vec![b'x'; 4096];
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        encoder.window_log(ZSTD_MAX_WINDOW_LOG + 4).unwrap();
        encoder.long_distance_matching(true).unwrap();
        encoder.write_all(&data).unwrap();
        let big_window = encoder.finish().unwrap();
        assert_decompression(decode(&big_window, Some("zstd"), 1 << 30), "zstd");
        // An ordinary frame decodes.
        assert_eq!(
            decode(&zstd(&data), Some("zstd"), 1 << 20)
                .unwrap()
                .as_ref(),
            &data[..]
        );
    }

    #[test]
    fn stacked_layers_share_one_total_budget() {
        // Gzip without compression: every layer is about as large as the data.
        let stored = |data: &[u8]| {
            let mut e = GzEncoder::new(Vec::new(), Compression::none());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        };
        let data = vec![7u8; 100_000];
        let limit = 101_000;
        let two = stored(&stored(&data));
        assert_eq!(
            decode(&two, Some("gzip, gzip"), limit).unwrap().len(),
            data.len()
        );
        // Three layers of about 100 kB each: each is within the limit, all together
        // are over twice the limit.
        let three = stored(&stored(&stored(&data)));
        let err = decode(&three, Some("gzip, gzip, gzip"), limit).unwrap_err();
        assert!(err.is_too_large(), "{err}");
        assert_eq!(
            decode(&three, Some("gzip, gzip, gzip"), 160_000)
                .unwrap()
                .len(),
            data.len()
        );
    }

    #[test]
    fn the_first_line_decodes_alone() {
        let mut data = b"{\"dsn\":\"x\"}\n".to_vec();
        data.extend(std::iter::repeat_n(b'z', 1 << 20));
        for (encoding, body) in [
            (None, data.clone()),
            (Some("gzip"), gzip(&data)),
            (Some("deflate"), zlib(&data)),
            (Some("deflate"), raw_deflate(&data)),
            (Some("br"), brotli(&data)),
            (Some("zstd"), zstd(&data)),
            (Some("gzip, br"), brotli(&gzip(&data))),
        ] {
            let line = decode_first_line(&body, encoding, 4096).unwrap();
            assert_eq!(line, b"{\"dsn\":\"x\"}\n", "{encoding:?}");
        }
        // No line feed within the limit: the first `max` bytes.
        let line = decode_first_line(&gzip(&[b'a'; 10_000]), Some("gzip"), 100).unwrap();
        assert_eq!(line.len(), 100);
    }
}
