//! Reference data every instance keeps in memory. The database counts the
//! changes to each kind (triggers bump a one-row counter table on every
//! write, whoever makes it: another instance, a migration, plain SQL), so a
//! use costs one indexed read of that counter instead of the data itself
//! (thousands of region nodes, a year of calendar days) on every board,
//! list, registration and transition.

use crate::db::Conn;
use crate::{Pool, Result};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

/// One kind of kept data: its value per database (tests open many in one
/// process), tagged with the counter it was read at. Values are shared, not
/// copied: a city's region tree is thousands of nodes, and a board reads it
/// once per column.
pub(crate) struct Kept<T> {
    counter: &'static str,
    values: LazyLock<Mutex<HashMap<String, Tagged<T>>>>,
}

/// A kept value and the counter it was read at.
type Tagged<T> = (i64, Arc<T>);

impl<T> Kept<T> {
    /// `counter` names a table `(id = 1, n)` that triggers bump.
    pub(crate) const fn new(counter: &'static str) -> Self {
        Self {
            counter,
            values: LazyLock::new(Default::default),
        }
    }

    /// The value as committed, from memory while the counter stands still.
    pub(crate) async fn get(
        &self,
        pool: &Pool,
        load: impl AsyncFnOnce(&mut Conn) -> Result<T>,
    ) -> Result<Arc<T>> {
        let key = Self::key(pool);
        let mut conn = pool.acquire().await?;
        let n = self.count(&mut conn).await?;
        if let Some(value) = self.hit(&key, n) {
            return Ok(value);
        }
        // Read after the counter: a change in between only makes the next
        // use load again.
        let value = Arc::new(load(&mut conn).await?);
        self.keep(key, n, value.clone());
        Ok(value)
    }

    /// The value as the caller's transaction sees it. A hit is safe: a
    /// transaction that changed the data has bumped the counter past any
    /// committed value. A miss loads without keeping what it read, which
    /// may be the transaction's own change and vanish with a rollback.
    pub(crate) async fn get_in(
        &self,
        pool: &Pool,
        conn: &mut Conn,
        load: impl AsyncFnOnce(&mut Conn) -> Result<T>,
    ) -> Result<Arc<T>> {
        let n = self.count(conn).await?;
        match self.hit(&Self::key(pool), n) {
            Some(value) => Ok(value),
            None => Ok(Arc::new(load(conn).await?)),
        }
    }

    fn key(pool: &Pool) -> String {
        pool.connect_options().database_url.to_string()
    }

    async fn count(&self, conn: &mut Conn) -> Result<i64> {
        let sql = format!("SELECT n FROM {} WHERE id = 1", self.counter);
        Ok(sqlx::query_scalar(&sql).fetch_one(conn).await?)
    }

    fn hit(&self, key: &str, n: i64) -> Option<Arc<T>> {
        self.values
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .filter(|(at, _)| *at == n)
            .map(|(_, value)| value.clone())
    }

    fn keep(&self, key: String, n: i64, value: Arc<T>) {
        self.values
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, (n, value));
    }
}
