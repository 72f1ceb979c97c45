//! Bounded pages for every list: no query returns an unbounded number of rows.

use inventory_domain::ValidationError;

/// Which slice of a list to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    limit: u32,
    offset: u64,
}

impl Page {
    /// The page size when the caller gives none.
    pub const DEFAULT_LIMIT: u32 = 50;
    /// The largest page size accepted.
    pub const MAX_LIMIT: u32 = 500;
    /// The largest offset accepted: deep offsets scan and skip rows, so beyond this a client
    /// should filter instead.
    pub const MAX_OFFSET: u64 = 1_000_000;

    /// A page of `limit` items starting after `offset` items; defaults when absent.
    ///
    /// # Errors
    /// A [`ValidationError`] on `limit` outside 1 to [`Page::MAX_LIMIT`], or on `offset` when
    /// negative or above [`Page::MAX_OFFSET`].
    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Result<Self, ValidationError> {
        let limit = limit.unwrap_or(i64::from(Self::DEFAULT_LIMIT));
        if !(1..=i64::from(Self::MAX_LIMIT)).contains(&limit) {
            return Err(ValidationError::new(
                "limit",
                format!("must be between 1 and {}", Self::MAX_LIMIT),
            ));
        }
        let offset = offset.unwrap_or(0);
        if !(0..=Self::MAX_OFFSET as i64).contains(&offset) {
            return Err(ValidationError::new(
                "offset",
                format!("must be between 0 and {}", Self::MAX_OFFSET),
            ));
        }
        Ok(Self {
            limit: limit as u32,
            offset: offset as u64,
        })
    }

    /// The page size.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Items skipped before the page.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl Default for Page {
    fn default() -> Self {
        Self {
            limit: Self::DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// One page of a list and the size of the whole list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// How many items the whole list holds.
    pub total: u64,
    /// The page size asked for.
    pub limit: u32,
    /// Items skipped before this page.
    pub offset: u64,
}

impl<T> Paged<T> {
    /// Wraps the items of `page`.
    pub fn new(data: Vec<T>, total: u64, page: Page) -> Self {
        Self {
            data,
            total,
            limit: page.limit(),
            offset: page.offset(),
        }
    }

    /// The same page with each item converted.
    pub fn map<U>(self, convert: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            data: self.data.into_iter().map(convert).collect(),
            total: self.total,
            limit: self.limit,
            offset: self.offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_values_take_the_defaults() {
        let page = Page::new(None, None).unwrap();
        assert_eq!((page.limit(), page.offset()), (Page::DEFAULT_LIMIT, 0));
    }

    #[test]
    fn limits_out_of_range_are_rejected() {
        assert_eq!(Page::new(Some(0), None).unwrap_err().field, "limit");
        assert_eq!(Page::new(Some(501), None).unwrap_err().field, "limit");
        assert_eq!(Page::new(None, Some(-1)).unwrap_err().field, "offset");
        assert!(Page::new(Some(500), Some(1_000_000)).is_ok());
    }
}
