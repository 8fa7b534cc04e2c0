//! Scans of a service's table: streamed Arrow IPC from `lakefeed serve` (a batch in memory at a time), or a
//! query's rows cut into batches for a service with only the seed's JSON.

use std::collections::VecDeque;

use arrow::array::RecordBatch;
use arrow::buffer::Buffer;
use arrow::ipc::reader::StreamDecoder;
use futures::StreamExt;
use futures::stream::BoxStream;
use lakefeed_core::{BatchStream, Error, QueryResult, Result, ScanSpec};

use super::api::Api;
use crate::wire::ipc::Framer;
use crate::wire::messages::ReadParams;

/// Streams `GET {path}?`[`ReadParams`] as batches.
pub(super) async fn arrow(api: &Api, path: &str, spec: &ScanSpec) -> Result<BatchStream> {
    let params = ReadParams {
        columns: spec.columns.as_ref().map(|c| c.join(",")),
        filter: spec.filter.clone(),
        batch_size: spec.batch_size,
        limit: None,
    };
    let resp = api
        .stream(&format!("{path}{}", params.query_string()))
        .await?;
    let reading = Reading {
        body: resp.bytes_stream().boxed(),
        framer: Framer::default(),
        decoder: StreamDecoder::new(),
        messages: VecDeque::new(),
        done: false,
    };
    Ok(Box::pin(futures::stream::unfold(
        reading,
        |mut r| async move {
            let next = r.next().await;
            next.map(|b| (b, r))
        },
    )))
}

struct Reading {
    body: BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    framer: Framer,
    decoder: StreamDecoder,
    /// Whole messages not yet decoded.
    messages: VecDeque<Vec<u8>>,
    done: bool,
}

impl Reading {
    async fn next(&mut self) -> Option<Result<RecordBatch>> {
        if self.done {
            return None;
        }
        let failed = |e: String| Some(Err(Error::Network(format!("reading a table stream: {e}"))));
        loop {
            while let Some(message) = self.messages.pop_front() {
                match self.decoder.decode(&mut Buffer::from_vec(message)) {
                    Ok(Some(b)) => return Some(Ok(b)),
                    Ok(None) => {}
                    Err(e) => {
                        self.done = true;
                        return failed(e.to_string());
                    }
                }
            }
            let pushed = match self.body.next().await {
                Some(Ok(bytes)) => {
                    let mut whole = Vec::new();
                    self.framer
                        .push(&bytes, &mut whole)
                        .map(|()| self.messages.extend(whole))
                }
                Some(Err(e)) => Err(Error::Other(e.to_string())),
                None => {
                    self.done = true;
                    return match self.framer.finish().and_then(|()| {
                        self.decoder
                            .finish()
                            .map_err(|e| Error::Other(e.to_string()))
                    }) {
                        Ok(()) => None,
                        Err(e) => failed(format!("the stream ended early: {e}")),
                    };
                }
            };
            if let Err(e) = pushed {
                self.done = true;
                return failed(e.to_string());
            }
        }
    }
}

/// A query's result as a stream of batches of at most `batch_size` rows (0: as they are).
pub(super) fn in_batches(result: QueryResult, batch_size: usize) -> BatchStream {
    let mut out = Vec::new();
    for b in result.into_batches() {
        let step = if batch_size == 0 {
            b.num_rows().max(1)
        } else {
            batch_size
        };
        let mut start = 0;
        while start < b.num_rows() {
            let n = step.min(b.num_rows() - start);
            out.push(Ok(b.slice(start, n)));
            start += n;
        }
    }
    Box::pin(futures::stream::iter(out))
}
