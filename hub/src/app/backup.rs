//! A backup of the running hub (see `crate::backup`): written off the async threads from
//! a read snapshot of the store, while tablets and coaches go on.

use super::{AppError, Hub};
use crate::backup::Summary;
use std::path::PathBuf;

impl Hub {
    /// Writes a backup of the whole hub to `out`: the database as of its last commit, the
    /// media files it names, the certificates and the broker's secrets.
    pub async fn back_up(&self, out: PathBuf) -> Result<Summary, AppError> {
        let storage = self.inner.parts.storage.clone();
        let data_dir = self.inner.parts.config.data_dir.clone();
        super::off_async_threads(move || Ok(crate::backup::write(&*storage, &data_dir, &out)?))
            .await
    }
}
