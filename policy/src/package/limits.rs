//! Limits applied while a package is read.

/// Limits on a package; every one is enforced while decompressing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageLimits {
    /// Compressed bytes read from the input.
    pub max_compressed_bytes: u64,
    /// Decompressed bytes (the whole tar stream, headers included).
    pub max_uncompressed_bytes: u64,
    /// Archive entries, directories included.
    pub max_entries: usize,
    /// Bytes of any one file.
    pub max_file_bytes: u64,
    /// Decompressed bytes per compressed byte, checked continuously past the first
    /// `ratio_grace_bytes`.
    pub max_ratio: u64,
    /// Decompressed bytes allowed before the ratio is enforced (tiny packages compress
    /// their tar padding very well).
    pub ratio_grace_bytes: u64,
}

impl Default for PackageLimits {
    fn default() -> Self {
        Self {
            max_compressed_bytes: 256 << 20,
            max_uncompressed_bytes: 512 << 20,
            max_entries: 4096,
            max_file_bytes: 256 << 20,
            max_ratio: 100,
            ratio_grace_bytes: 1 << 20,
        }
    }
}
