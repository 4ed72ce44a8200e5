//! Reading an ingest request body: at most the limit the intake allows, every byte
//! reserved in the server's byte budget as it arrives, and the connection's deadline and
//! minimum rate turned into a 408.

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;

use super::error::IngestError;
use crate::budget::{ByteBudget, Reservation};
use crate::deadline::too_slow;

/// Reads `body` whole, refusing it past `limit` bytes (413), when the budget is spent
/// (503) or when it arrives too slowly (408). The bytes stay reserved in `reservation`.
pub async fn read(
    body: Body,
    limit: usize,
    budget: &ByteBudget,
    reservation: &mut Reservation,
) -> Result<Bytes, IngestError> {
    let mut body = body;
    let mut first: Option<Bytes> = None;
    let mut rest: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| match too_slow(&e) {
            Some(slow) => IngestError::TooSlow(slow),
            None => IngestError::BadRequest(format!("could not read the request body: {e}")),
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let len = first.as_ref().map_or(0, Bytes::len) + rest.as_ref().map_or(0, BytesMut::len);
        if len + data.len() > limit {
            return Err(errata_protocol::Error::TooLarge {
                what: "request body".to_owned(),
                limit,
            }
            .into());
        }
        budget.reserve(reservation, data.len()).map_err(|_| {
            IngestError::Overloaded("too many request bytes in flight; retry later".into())
        })?;
        // One frame (the common case) is kept without a copy.
        match (&mut first, &mut rest) {
            (None, None) => first = Some(data),
            (Some(head), None) => {
                let mut joined = BytesMut::with_capacity(head.len() + data.len());
                joined.extend_from_slice(head);
                joined.extend_from_slice(&data);
                first = None;
                rest = Some(joined);
            }
            (_, Some(joined)) => joined.extend_from_slice(&data),
        }
    }
    Ok(match (first, rest) {
        (_, Some(joined)) => joined.freeze(),
        (Some(only), None) => only,
        (None, None) => Bytes::new(),
    })
}
