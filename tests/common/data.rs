//! Test data that shows any lost, repeated or reordered byte: endless streams
//! drawn from a seed, a running digest (length and hash) that any chunking of
//! the same bytes gives alike, and random sizes for chunks.

/// splitmix64: a small, fast generator that every test can re-seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number from `low` to `high`, both included.
    pub fn range(&mut self, low: usize, high: usize) -> usize {
        let span = (high - low) as u64 + 1;
        low + (self.next_u64() % span) as usize
    }

    /// Whether a one-in-`n` event happens.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.next_u64() % n == 0
    }

    /// A chunk size: mostly up to 64 KiB, one time in eight a few bytes.
    pub fn chunk(&mut self) -> usize {
        if self.one_in(8) {
            self.range(1, 16)
        } else {
            self.range(1, 64 * 1024)
        }
    }
}

/// An endless byte stream drawn from a seed, produced in pieces of any size:
/// the same seed gives the same bytes whatever the pieces.
#[derive(Clone, Debug)]
pub struct Stream {
    rng: Rng,
    word: [u8; 8],
    used: usize,
}

impl Stream {
    pub fn new(seed: u64) -> Stream {
        Stream {
            rng: Rng::new(seed),
            word: [0; 8],
            used: 8,
        }
    }

    /// Fills `out` with the next bytes of the stream.
    pub fn fill(&mut self, out: &mut [u8]) {
        let mut filled = 0;
        while filled < out.len() {
            if self.used == 8 {
                if out.len() - filled >= 8 {
                    let word = self.rng.next_u64().to_le_bytes();
                    out[filled..filled + 8].copy_from_slice(&word);
                    filled += 8;
                    continue;
                }
                self.word = self.rng.next_u64().to_le_bytes();
                self.used = 0;
            }
            let n = (8 - self.used).min(out.len() - filled);
            out[filled..filled + n].copy_from_slice(&self.word[self.used..self.used + n]);
            self.used += n;
            filled += n;
        }
    }

    /// The next `len` bytes of the stream.
    pub fn take(&mut self, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        self.fill(&mut out);
        out
    }
}

/// The first `len` bytes of the stream of `seed`.
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    Stream::new(seed).take(len)
}

/// The length and a 64-bit hash of a byte sequence, fed in any chunking.
///
/// The hash mixes whole 8-byte words (so it stays fast in debug builds); the
/// bytes of a word that is not complete yet wait in `pending`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digest {
    pub len: u64,
    pub hash: u64,
    pending: u64,
}

impl Default for Digest {
    fn default() -> Digest {
        Digest::new()
    }
}

impl Digest {
    pub fn new() -> Digest {
        Digest {
            len: 0,
            hash: 0xCBF2_9CE4_8422_2325,
            pending: 0,
        }
    }

    fn mix(&mut self, word: u64) {
        self.hash = (self.hash ^ word)
            .wrapping_mul(0x0000_0100_0000_01B3)
            .rotate_left(29);
    }

    pub fn update(&mut self, mut bytes: &[u8]) {
        // Finish a word begun by the previous update, byte by byte.
        while self.len % 8 != 0 {
            let Some((&first, rest)) = bytes.split_first() else {
                return;
            };
            self.pending |= u64::from(first) << (8 * (self.len % 8));
            self.len += 1;
            bytes = rest;
            if self.len % 8 == 0 {
                let word = self.pending;
                self.pending = 0;
                self.mix(word);
            }
        }
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.mix(u64::from_le_bytes(word.try_into().expect("8 bytes")));
        }
        self.len += (bytes.len() - words.remainder().len()) as u64;
        for &byte in words.remainder() {
            self.pending |= u64::from(byte) << (8 * (self.len % 8));
            self.len += 1;
        }
    }

    /// The final value: the hash of the whole words, the bytes left over and
    /// the length.
    pub fn finish(&self) -> (u64, u64) {
        let mut last = *self;
        last.mix(self.pending ^ 0xA5A5_A5A5_A5A5_A5A5);
        last.mix(self.len);
        (self.len, last.hash)
    }

    /// The digest of `bytes` in one piece.
    pub fn of(bytes: &[u8]) -> (u64, u64) {
        let mut digest = Digest::new();
        digest.update(bytes);
        digest.finish()
    }

    /// The digest of the first `len` bytes of the stream of `seed`.
    pub fn of_stream(len: usize, seed: u64) -> (u64, u64) {
        let mut digest = Digest::new();
        let mut stream = Stream::new(seed);
        let mut buf = vec![0u8; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(buf.len());
            stream.fill(&mut buf[..n]);
            digest.update(&buf[..n]);
            left -= n;
        }
        digest.finish()
    }
}

/// Splits `data` into pieces whose sizes cycle through `sizes`.
pub fn chunked<'a>(data: &'a [u8], sizes: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = data;
    sizes.iter().cycle().map_while(move |&size| {
        if rest.is_empty() {
            return None;
        }
        let (piece, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        Some(piece)
    })
}
