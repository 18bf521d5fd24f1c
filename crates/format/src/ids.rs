//! Typed indices: a node's *position* in the snapshot and its V8 *identity* are different things.

use std::fmt;
use std::str::FromStr;

/// Position of a node in the snapshot's node arrays (its ordinal, `0..node_count`).
///
/// Positions are only meaningful within one parsed snapshot. Use [`ObjectId`] for anything a user
/// sees or types back in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct NodeIdx(pub u32);

/// Position of an edge in the snapshot's edge arrays (`0..edge_count`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct EdgeIdx(pub u32);

/// Index into the snapshot's string table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct StringIdx(pub u32);

/// V8's object id (`HeapObjectsMap`): stable for a JS object across snapshots of one isolate.
///
/// Displays as `@123`, the way DevTools shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct ObjectId(pub u32);

macro_rules! index_impls {
    ($($t:ident),*) => {$(
        impl $t {
            /// The index as a `usize`, for slicing columns.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
        impl From<$t> for usize {
            #[inline]
            fn from(i: $t) -> usize {
                i.0 as usize
            }
        }
    )*};
}
index_impls!(NodeIdx, EdgeIdx, StringIdx);

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}", self.0)
    }
}

/// Error returned when a string is not an object id such as `@123` or `123`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseObjectIdError(String);

impl fmt::Display for ParseObjectIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not an object id (expected @N with N an unsigned 32-bit number)", self.0)
    }
}

impl std::error::Error for ParseObjectIdError {}

impl FromStr for ObjectId {
    type Err = ParseObjectIdError;

    /// Parses `@123` or `123`.
    ///
    /// ```
    /// use heapsnap_format::ObjectId;
    /// assert_eq!("@42".parse::<ObjectId>().unwrap(), ObjectId(42));
    /// assert!("@x".parse::<ObjectId>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix('@').unwrap_or(s);
        digits.parse::<u32>().map(ObjectId).map_err(|_| ParseObjectIdError(s.to_string()))
    }
}
