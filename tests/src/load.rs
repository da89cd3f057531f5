//! A client that keeps creating assets through a gateway while a test does
//! harm to the network, and remembers which creations were acknowledged
//! as committed VALID — the ones no fault may lose.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use weft_proto::TxValidationCode;
use weft_sdk::{Call, Gateway};

pub struct Load {
    acknowledged: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Load {
    /// Submits `asset-transfer CreateAsset load<i>` in a loop. A failed
    /// call (a node is down) is not acknowledged; the client moves on.
    pub fn start(gateway: Gateway) -> Load {
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let task = {
            let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let id = format!("load{i}");
                    i += 1;
                    let args: [&[u8]; 5] = [id.as_bytes(), b"green", b"1", b"Load", b"1"];
                    match gateway.submit(&Call::new("asset-transfer", "CreateAsset", &args)).await {
                        Ok((_, s)) => {
                            assert_eq!(s.code, TxValidationCode::Valid, "{id}");
                            acknowledged.lock().unwrap().push(id);
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                    }
                }
            })
        };
        Load { acknowledged, stop, task }
    }

    pub fn acknowledged(&self) -> usize {
        self.acknowledged.lock().unwrap().len()
    }

    /// Waits (up to a minute) until `n` creations were acknowledged.
    pub async fn wait_for(&self, n: usize) {
        for _ in 0..1200 {
            if self.acknowledged() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("load stalled at {} acknowledged transactions", self.acknowledged());
    }

    /// Stops the client; returns the asset ids acknowledged.
    pub async fn stop(self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("the load task panicked");
        self.acknowledged.lock().unwrap().clone()
    }
}
