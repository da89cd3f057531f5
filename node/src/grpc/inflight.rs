//! Request bytes in flight, bounded per connection and in total.
//!
//! tonic reads a whole request message (up to 16 MiB) into memory before a
//! handler sees it, and every request the node is still working on holds
//! its message. Without a bound, 128 concurrent 15 MiB requests from one
//! member took a node past its memory limit. Each data frame of a request
//! body takes permits (one per byte) from its connection's budget and the
//! node's before tonic reads it; a frame over either budget fails the call
//! at once with RESOURCE_EXHAUSTED, so the flood is refused as it arrives
//! instead of queueing. The permits are held until the call has been
//! answered: every Weft RPC has a unary request, so that is when the node
//! lets go of the message.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tonic::Status;

/// What the node lets its clients have in flight, from its memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub total_bytes: usize,
    pub per_connection_bytes: usize,
}

impl Limits {
    /// A quarter of the node's memory for request messages, at least 64
    /// MiB (four of the largest messages); one connection gets half of that
    /// and at most 64 MiB, so one client cannot starve the others.
    pub fn for_memory_mb(memory_mb: u64) -> Limits {
        const MIB: usize = 1024 * 1024;
        let total = usize::try_from(memory_mb / 4).unwrap_or(usize::MAX / MIB).saturating_mul(MIB).max(64 * MIB);
        // Semaphores count at most usize::MAX >> 3 permits.
        let total = total.min(Semaphore::MAX_PERMITS);
        Limits { total_bytes: total, per_connection_bytes: (total / 2).min(64 * MIB) }
    }
}

/// The node's budget and its connections'.
pub struct Budget {
    limits: Limits,
    total: Arc<Semaphore>,
    /// Keyed by the client's address and port: one entry per connection,
    /// alive while a request of it holds permits.
    connections: Mutex<HashMap<SocketAddr, Weak<Semaphore>>>,
}

impl Budget {
    pub fn new(limits: Limits) -> Arc<Budget> {
        Arc::new(Budget {
            limits,
            total: Arc::new(Semaphore::new(limits.total_bytes)),
            connections: Mutex::new(HashMap::new()),
        })
    }

    fn connection(&self, peer: Option<SocketAddr>) -> Option<Arc<Semaphore>> {
        let peer = peer?;
        let mut connections = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sem) = connections.get(&peer).and_then(Weak::upgrade) {
            return Some(sem);
        }
        if connections.len() >= 1024 {
            connections.retain(|_, sem| sem.strong_count() > 0);
        }
        let sem = Arc::new(Semaphore::new(self.limits.per_connection_bytes));
        connections.insert(peer, Arc::downgrade(&sem));
        Some(sem)
    }

    #[cfg(test)]
    fn in_flight(&self) -> usize {
        self.limits.total_bytes - self.total.available_permits()
    }
}

/// Permits a call holds: shared by its request body and its response
/// future, released when both are gone.
#[derive(Default)]
struct Held(Mutex<Vec<OwnedSemaphorePermit>>);

/// The request body, taking permits for each frame before passing it on.
pub struct Metered {
    inner: tonic::body::Body,
    budget: Arc<Budget>,
    connection: Option<Arc<Semaphore>>,
    held: Arc<Held>,
}

impl Metered {
    fn take(&self, bytes: usize) -> Result<(), Status> {
        if bytes == 0 {
            return Ok(());
        }
        let n = u32::try_from(bytes).map_err(|_| Status::resource_exhausted("a request frame over 4 GiB"))?;
        let mut permits = Vec::with_capacity(2);
        if let Some(conn) = &self.connection {
            permits.push(conn.clone().try_acquire_many_owned(n).map_err(|_| {
                Status::resource_exhausted(format!(
                    "this connection has {} MiB of requests in flight already (the most one connection may have): \
                     wait for answers before sending more, or spread the load over connections",
                    self.budget.limits.per_connection_bytes >> 20
                ))
            })?);
        }
        permits.push(self.budget.total.clone().try_acquire_many_owned(n).map_err(|_| {
            Status::resource_exhausted(format!(
                "the node has {} MiB of requests in flight (its limit, a quarter of its memory): retry shortly",
                self.budget.limits.total_bytes >> 20
            ))
        })?);
        self.held.0.lock().unwrap_or_else(|p| p.into_inner()).extend(permits);
        Ok(())
    }
}

impl Body for Metered {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let len = frame.data_ref().map_or(0, Bytes::len);
                Poll::Ready(Some(self.take(len).map(|()| frame)))
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The layer putting every request's body on the budget.
#[derive(Clone)]
pub struct Layer(pub Arc<Budget>);

impl<S> tower::Layer<S> for Layer {
    type Service = Service<S>;

    fn layer(&self, inner: S) -> Service<S> {
        Service { inner, budget: self.0.clone() }
    }
}

#[derive(Clone)]
pub struct Service<S> {
    inner: S,
    budget: Arc<Budget>,
}

fn peer_of<B>(req: &http::Request<B>) -> Option<SocketAddr> {
    let ext = req.extensions();
    ext.get::<TlsConnectInfo<TcpConnectInfo>>()
        .and_then(|i| i.get_ref().remote_addr())
        .or_else(|| ext.get::<TcpConnectInfo>().and_then(TcpConnectInfo::remote_addr))
}

impl<S, R> tower::Service<http::Request<tonic::body::Body>> for Service<S>
where
    S: tower::Service<http::Request<tonic::body::Body>, Response = R>,
    S::Future: Send + 'static,
{
    type Response = R;
    type Error = S::Error;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<R, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        let held = Arc::new(Held::default());
        let connection = self.budget.connection(peer_of(&req));
        let (parts, body) = req.into_parts();
        let metered = Metered { inner: body, budget: self.budget.clone(), connection, held: held.clone() };
        let answer = self.inner.call(http::Request::from_parts(parts, tonic::body::Body::new(metered)));
        Box::pin(async move {
            let result = answer.await;
            drop(held);
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_memory() {
        const MIB: usize = 1024 * 1024;
        assert_eq!(Limits::for_memory_mb(512), Limits { total_bytes: 128 * MIB, per_connection_bytes: 64 * MIB });
        assert_eq!(Limits::for_memory_mb(64), Limits { total_bytes: 64 * MIB, per_connection_bytes: 32 * MIB });
        assert_eq!(Limits::for_memory_mb(u64::MAX).total_bytes, Semaphore::MAX_PERMITS);
    }

    #[tokio::test]
    async fn frames_over_the_budget_fail_and_answers_give_it_back() {
        let budget = Budget::new(Limits { total_bytes: 100, per_connection_bytes: 60 });
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let body = |budget: &Arc<Budget>, held: &Arc<Held>| Metered {
            inner: tonic::body::Body::empty(),
            budget: budget.clone(),
            connection: budget.connection(Some(peer)),
            held: held.clone(),
        };
        let first = Arc::new(Held::default());
        body(&budget, &first).take(50).unwrap();
        let second = Arc::new(Held::default());
        let refused = body(&budget, &second).take(20).unwrap_err();
        assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
        assert!(refused.message().contains("this connection"), "{refused}");
        // Another connection: the node's own budget is what is left.
        let other = Metered {
            connection: budget.connection(Some("127.0.0.1:5001".parse().unwrap())),
            ..body(&budget, &second)
        };
        other.take(50).unwrap();
        let refused = other.take(1).unwrap_err();
        assert!(refused.message().contains("the node has"), "{refused}");
        assert_eq!(budget.in_flight(), 100);
        drop((first, other, second));
        assert_eq!(budget.in_flight(), 0, "answered calls give their bytes back");
    }
}
