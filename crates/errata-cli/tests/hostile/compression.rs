//! An unknown key with stacked compression: 16 concurrent requests whose DSN key does
//! not exist send `Content-Encoding: gzip, gzip` bodies of a few KiB that decompress to
//! 4 GiB. Each must be answered 401, decided from the request head before the body is
//! read or inflated: one more request sends only its head (declaring the body's length)
//! and must get its 401 without sending a byte of the body, and the server's RSS stays
//! near idle during the attack (growth under 50 MiB). The official Python SDK's event,
//! sent in the middle, is answered 200 within 2 s and stored.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::{
    Checks, HonestSdk, RssSampler, envelope_head, one_attack_at_a_time, post_within, report,
    request_on,
};
use crate::harness::{Reply, ServerProcess};

const ATTACKERS: usize = 16;
/// A key no project has (32 hex digits, like a real one).
const UNKNOWN_KEY: &str = "0123456789abcdef0123456789abcdef";
const MAX_GROWTH_MIB: u64 = 50;
/// The most an attacker waits for its 401 (it should come at once).
const ANSWER_WITHIN: Duration = Duration::from_secs(15);

/// A gzip member of 1 GiB of zeros (about 1 MiB): one deflate segment of 1 MiB of zeros,
/// sync-flushed, repeated 1024 times, an empty final block and the real trailer.
fn gigabyte_member() -> Vec<u8> {
    let zeros = vec![0u8; 1 << 20];
    let mut compress = flate2::Compress::new(flate2::Compression::best(), false);
    let mut segment = Vec::with_capacity(1 << 16);
    compress
        .compress_vec(&zeros, &mut segment, flate2::FlushCompress::Sync)
        .unwrap();
    assert_eq!(compress.total_in(), 1 << 20);
    let mut member = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    for _ in 0..1024 {
        member.extend_from_slice(&segment);
    }
    member.extend_from_slice(&[0x03, 0x00]);
    // CRC-32 of 2^30 zero bytes, and the size modulo 2^32.
    member.extend_from_slice(&0x5b64_c2b0_u32.to_le_bytes());
    member.extend_from_slice(&(1u32 << 30).to_le_bytes());
    member
}

/// `gzip, gzip`: four 1 GiB members (4 GiB of zeros once both layers are undone), gzipped
/// again: a few KiB on the wire.
fn stacked_bomb() -> (Vec<u8>, usize) {
    let member = gigabyte_member();
    let inner: Vec<u8> = member.repeat(4);
    let mut outer = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    outer.write_all(&inner).unwrap();
    (outer.finish().unwrap(), inner.len())
}

#[allow(clippy::too_many_lines, reason = "one attack, read top to bottom")]
#[test]
fn unknown_key_is_refused_before_a_stacked_gzip_bomb_is_read() {
    let (bomb, inner_len) = stacked_bomb();
    // It is a real bomb: the outer layer gives the inner stream, whose start inflates to
    // zeros.
    let mut inner = Vec::new();
    flate2::read::GzDecoder::new(&bomb[..])
        .read_to_end(&mut inner)
        .expect("the outer layer inflates");
    assert_eq!(inner.len(), inner_len);
    let mut head = vec![0u8; 4 << 20];
    flate2::read::MultiGzDecoder::new(&inner[..])
        .read_exact(&mut head)
        .expect("the inner layer inflates");
    assert!(head.iter().all(|b| *b == 0));
    drop((inner, head));
    assert!(bomb.len() < 64 << 10, "{} bytes on the wire", bomb.len());

    let _one = one_attack_at_a_time();
    let mut checks = Checks::new("unknown-key+bomb");
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with(&dir.path().join("data"), &[]);
    server.stored();
    report(
        "unknown-key+bomb",
        &format!(
            "{ATTACKERS} bodies of {} bytes (gzip, gzip -> {inner_len} bytes -> 4 GiB)",
            bomb.len()
        ),
    );

    let rss = RssSampler::start(server.pid());
    let bomb = std::sync::Arc::new(bomb);
    let attackers: Vec<_> = (0..ATTACKERS)
        .map(|_| {
            let url = server.envelope_url();
            let bomb = bomb.clone();
            std::thread::spawn(move || {
                let auth = format!("Sentry sentry_key={UNKNOWN_KEY}, sentry_version=7");
                let started = Instant::now();
                let reply = post_within(
                    &url,
                    &[
                        ("X-Sentry-Auth", &auth),
                        ("Content-Type", "application/x-sentry-envelope"),
                        ("Content-Encoding", "gzip, gzip"),
                    ],
                    &bomb,
                    ANSWER_WITHIN,
                );
                (reply, started.elapsed())
            })
        })
        .collect();
    // The head alone, declaring the body: the 401 must come without the body.
    let head_only = {
        let head = envelope_head(
            &server,
            UNKNOWN_KEY,
            &format!(
                "Content-Encoding: gzip, gzip\r\nContent-Length: {}\r\n",
                bomb.len()
            ),
        );
        let addr = server.addr;
        std::thread::spawn(move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let started = Instant::now();
            (request_on(&mut stream, head.as_bytes()), started.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    let honest = HonestSdk::start(&server, "unknown-key+bomb").finish();
    let replies: Vec<(Result<Reply, String>, Duration)> = attackers
        .into_iter()
        .map(|a| a.join().expect("an attacker"))
        .collect();
    let (head_only, head_took) = head_only.join().expect("the head-only attacker");
    let rss = rss.stop();

    honest.check_served(&mut checks, &server);
    let mut statuses = std::collections::BTreeMap::<String, usize>::new();
    for (reply, _) in &replies {
        let status = match reply {
            Ok(reply) => reply.status.to_string(),
            Err(_) => format!("no answer within {ANSWER_WITHIN:?}"),
        };
        *statuses.entry(status).or_default() += 1;
    }
    let slowest = replies.iter().map(|(_, t)| *t).max().unwrap_or_default();
    report(
        "unknown-key+bomb",
        &format!(
            "answers {statuses:?} (slowest {} ms; e.g. {:?}); head only: {head_only:?} after {} ms",
            slowest.as_millis(),
            replies
                .first()
                .map(|(r, _)| r.as_ref().map(|r| r.body.clone())),
            head_took.as_millis()
        ),
    );
    report("unknown-key+bomb", &rss.describe());
    checks.check(statuses.keys().eq(["401"]), || {
        format!("the bombs with an unknown key were answered {statuses:?}, not all 401")
    });
    checks.check(head_only == Some(401), || {
        format!(
            "a request with an unknown key that sent only its head got {head_only:?} within 5 s \
             (None: no answer): the key is not decided before the body is read"
        )
    });
    checks.check(rss.growth_mib() < MAX_GROWTH_MIB, || {
        format!(
            "{}: the bodies were inflated (bound: growth under {MAX_GROWTH_MIB} MiB)",
            rss.describe()
        )
    });
    checks.finish(&server);
}
