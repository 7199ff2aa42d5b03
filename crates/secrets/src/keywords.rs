//! The keyword prefilter: every occurrence (overlapping, ASCII case-insensitive) of a set of
//! keywords in one pass.
//!
//! Why not the `aho-corasick` crate: with ~300 case-insensitive keywords its DFA ran at about
//! 200 MB/s on the app image's text files (21 MB in 0.105 s; the contiguous NFA took 0.30 s):
//! its ~700 KB transition table misses the L1 cache and no prefilter applies to that many
//! patterns, and this pass reads every byte of every text file. Here each keyword is anchored
//! on its rarest three-byte window (two-byte keywords on themselves plus any next byte); one
//! pass hashes every three-byte window (with the ASCII case bit set in each byte, so that case
//! does not matter) into a 16 KB bitmap that stays in L1, and only a set bit leads to
//! comparing the few keywords anchored there, exactly: a false candidate costs time, never a
//! wrong result.
//!
//! The scalar loop does a load, a hash and a bitmap test for every byte, one after another.
//! On x86_64 CPUs with AVX2 (detected once per set) a vector loop takes eight positions a
//! step: it builds the eight windows with one byte shuffle, hashes them with one multiply
//! and fetches their eight bitmap words with one gather; a shift and `movemask` leave one
//! bit per position. Set lanes are collected for up to 2048 positions before any is verified,
//! because a branch taken on a set lane (about one position in a hundred in text) is
//! mispredicted and drains the gathers in flight. Both loops use the same table, the same
//! key function and the same verification, and tests hold both to a naive search; the
//! `keyword_scan_throughput` test prints the throughput of each on a corpus.

use std::ops::Range;

/// ASCII lower-casing table.
const FOLD: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).to_ascii_lowercase();
        i += 1;
    }
    t
};

/// The number of bits of an anchor key: a 2^17-bit bitmap is 16 KB, which stays in L1 with
/// the input streaming past; each bit fewer doubles the expected hash collisions (false
/// candidates).
const KEY_BITS: u32 = 17;

/// A table from an anchor key to the keywords anchored there: a bitmap for the scan loop
/// and a compressed index for the (rarer) candidates.
#[derive(Debug)]
struct AnchorTable {
    /// Bit `key & 31` of word `key >> 5`: 32-bit words because the AVX2 path gathers them.
    bits: Box<[u32; 1 << (KEY_BITS - 5)]>,
    /// `start[key]..start[key + 1]` indexes `entries`.
    start: Box<[u32]>,
    entries: Box<[Anchor]>,
}

/// A keyword anchored under a key, with what rejects most false candidates in one compare.
#[derive(Debug)]
struct Anchor {
    keyword: u32,
    /// Offset of the anchor's last byte in the keyword.
    offset: u32,
    /// The keyword's first (up to) eight bytes, little-endian.
    head: u64,
    /// 0xff for each byte of `head` that is part of the keyword.
    head_len: u64,
    /// 0x20 for each byte of `head` that is a letter: OR-ing it into the input makes the
    /// comparison case-insensitive (a letter differs from its upper case only there).
    head_fold: u64,
}

impl Anchor {
    /// `keyword` is lower-cased.
    fn new(index: u32, keyword: &[u8], offset: usize) -> Self {
        let (mut head, mut head_len, mut head_fold) = ([0u8; 8], [0u8; 8], [0u8; 8]);
        for (i, &b) in keyword.iter().take(8).enumerate() {
            head[i] = b;
            head_len[i] = 0xff;
            head_fold[i] = if b.is_ascii_lowercase() { 0x20 } else { 0 };
        }
        Anchor {
            keyword: index,
            offset: offset as u32,
            head: u64::from_le_bytes(head),
            head_len: u64::from_le_bytes(head_len),
            head_fold: u64::from_le_bytes(head_fold),
        }
    }
}

impl AnchorTable {
    fn new(mut anchored: Vec<(u32, Anchor)>) -> Self {
        anchored.sort_unstable_by_key(|&(key, _)| key);
        let mut bits = Box::new([0u32; 1 << (KEY_BITS - 5)]);
        let mut start = vec![0u32; (1 << KEY_BITS) + 1];
        for &(key, _) in &anchored {
            bits[key as usize >> 5] |= 1 << (key & 31);
            start[key as usize + 1] += 1;
        }
        for k in 1..start.len() {
            start[k] += start[k - 1];
        }
        AnchorTable {
            bits,
            start: start.into_boxed_slice(),
            entries: anchored.into_iter().map(|(_, a)| a).collect(),
        }
    }

    #[inline(always)]
    fn has(&self, key: u32) -> bool {
        self.bits[key as usize >> 5] & (1 << (key & 31)) != 0
    }

    fn get(&self, key: u32) -> &[Anchor] {
        let k = key as usize;
        &self.entries[self.start[k] as usize..self.start[k + 1] as usize]
    }
}

/// Set in every byte of a window before hashing: a letter and its upper case then have the
/// same key. So do a few other pairs of bytes (`-` and `\r`, `_` and DEL, a digit and a
/// control byte), which costs rare false candidates and no wrong result, since candidates are
/// compared exactly; in exchange the fold is one OR, in both paths.
const CASE_BIT: u32 = 0x0020_2020;

/// The multiplier of the trigram hash.
const TRIGRAM_MUL: u32 = 0x9E37_79B1;

/// Key of the three-byte window in the low 24 bits of `window` (big-endian: the last byte is
/// the lowest; the top byte is ignored): the window with [`CASE_BIT`] set, multiplied, the
/// top [`KEY_BITS`] bits of the 32-bit product. The AVX2 path computes the same key.
#[inline(always)]
fn trigram_key(window: u32) -> u32 {
    ((window & 0x00ff_ffff) | CASE_BIT).wrapping_mul(TRIGRAM_MUL) >> (32 - KEY_BITS)
}

/// A compiled keyword set.
#[derive(Debug)]
pub(crate) struct KeywordSet {
    /// The keywords, lower-cased.
    keywords: Vec<Box<[u8]>>,
    /// Keywords of three bytes or more, anchored on their rarest three-byte window.
    trigrams: AnchorTable,
    /// Two-byte keywords, also in `trigrams` under every byte that may follow them: only an
    /// occurrence at the very end of the input is found through this list.
    pairs: Vec<([u8; 2], usize)>,
    /// One-byte keywords (user rules may have them), by folded byte.
    single: Vec<(u8, usize)>,
    /// Empty keywords: they occur in every input, at offset 0.
    empty: Vec<usize>,
    /// The CPU has AVX2 (detected once, here, not per call): the window scan takes the
    /// vector path. Tests clear it to run the scalar path on the same set.
    #[cfg(target_arch = "x86_64")]
    avx2: bool,
}

/// How common a byte is in text and source code: lower is rarer. Letters follow English
/// letter frequency; digits and most punctuation are rarer than letters.
pub(crate) fn commonness(b: u8) -> u32 {
    const LETTERS: &[u8] = b"zqjxkvbpygfwmucldrhsnioate";
    match b {
        b'a'..=b'z' => 10 + LETTERS.iter().position(|&l| l == b).unwrap_or(0) as u32,
        b' ' | b'\t' | b'\n' | b'\r' => 40,
        b'_' | b'.' | b'-' | b'/' | b'"' | b'\'' | b'=' | b':' | b',' | b'(' | b')' => 12,
        b'0'..=b'9' => 8,
        _ => 4,
    }
}

impl KeywordSet {
    /// Compiles a set; `keywords` are matched ASCII case-insensitively and reported by index.
    pub fn new(keywords: &[Vec<u8>]) -> Self {
        let keywords: Vec<Box<[u8]>> = keywords
            .iter()
            .map(|k| k.to_ascii_lowercase().into_boxed_slice())
            .collect();
        let (mut tri, mut pairs, mut single, mut empty) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, kw) in keywords.iter().enumerate() {
            let k = i as u32;
            match kw.len() {
                0 => empty.push(i),
                1 => single.push((kw[0], i)),
                2 => {
                    pairs.push(([kw[0], kw[1]], i));
                    // Every next byte, once per key.
                    for next in (0..=255u8).filter(|&b| b & 0x20 != 0) {
                        let window = u32::from_be_bytes([0, kw[0], kw[1], next]);
                        tri.push((trigram_key(window), Anchor::new(k, kw, 2)));
                    }
                }
                n => {
                    let offset = (0..n - 2)
                        .min_by_key(|&o| kw[o..o + 3].iter().map(|&b| commonness(b)).sum::<u32>())
                        .unwrap_or(0);
                    let window =
                        u32::from_be_bytes([0, kw[offset], kw[offset + 1], kw[offset + 2]]);
                    // Offsets are recorded to the window's last byte, where the scan stands.
                    tri.push((trigram_key(window), Anchor::new(k, kw, offset + 2)));
                }
            }
        }
        KeywordSet {
            keywords,
            trigrams: AnchorTable::new(tri),
            pairs,
            single,
            empty,
            #[cfg(target_arch = "x86_64")]
            avx2: std::is_x86_feature_detected!("avx2"),
        }
    }

    /// Calls `found(keyword, range)` for every occurrence of every keyword, overlapping ones
    /// included, in no particular order.
    pub fn find_all(&self, hay: &[u8], mut found: impl FnMut(usize, Range<usize>)) {
        for &i in &self.empty {
            found(i, 0..0);
        }
        for &(b, i) in &self.single {
            for (at, _) in hay
                .iter()
                .enumerate()
                .filter(|(_, c)| FOLD[usize::from(**c)] == b)
            {
                found(i, at..at + 1);
            }
        }
        self.scan_windows(hay, &mut found);
        if let [.., a, b] = hay {
            let last = [FOLD[usize::from(*a)], FOLD[usize::from(*b)]];
            for &(pair, k) in &self.pairs {
                if pair == last {
                    found(k, hay.len() - 2..hay.len());
                }
            }
        }
    }

    /// Looks up the three-byte window ending at every position of `hay`.
    fn scan_windows(&self, hay: &[u8], found: &mut impl FnMut(usize, Range<usize>)) {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // The first two positions (windows that begin before the input) and the tail
            // the vector loop cannot load 16 bytes for go through the scalar loop.
            self.scan_windows_scalar(hay, 0..hay.len().min(2), found);
            // SAFETY: `avx2` is true only when the CPU reported AVX2 (see `new`).
            let done = unsafe { self.scan_windows_avx2(hay, found) };
            self.scan_windows_scalar(hay, done..hay.len(), found);
            return;
        }
        self.scan_windows_scalar(hay, 0..hay.len(), found);
    }

    /// The scalar window scan over the windows ending at `positions`.
    fn scan_windows_scalar(
        &self,
        hay: &[u8],
        positions: Range<usize>,
        found: &mut impl FnMut(usize, Range<usize>),
    ) {
        // The low three bytes of `window` are the last three bytes (zero before the input).
        let mut window = 0u32;
        for &b in &hay[positions.start.saturating_sub(2)..positions.start] {
            window = (window << 8) | u32::from(b);
        }
        let first = positions.start;
        for (i, &b) in hay[positions].iter().enumerate() {
            window = (window << 8) | u32::from(b);
            let key = trigram_key(window);
            if self.trigrams.has(key) {
                self.verify(hay, first + i, self.trigrams.get(key), found);
            }
        }
    }

    /// The vector window scan: eight positions a step, from position 2 while 16 bytes can be
    /// loaded; returns the first position it did not look up. Per step: one 16-byte load
    /// (broadcast to both lanes), an OR of the case bit, a byte shuffle into eight big-endian
    /// windows, the same multiply and shift as [`trigram_key`], a gather of the eight bitmap
    /// words and a shift that moves each key's bit to the sign for `movemask`. Set lanes
    /// (rare) are verified one by one through the scalar key.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn scan_windows_avx2(&self, hay: &[u8], found: &mut impl FnMut(usize, Range<usize>)) -> usize {
        use std::arch::x86_64::*;
        // Lane j of a step holds the window ending at position p + j, whose bytes are loaded
        // at j, j + 1, j + 2 (the load starts at p - 2); little-endian, so the last byte is
        // the lowest. -1 zeroes the top byte.
        let windows_of = _mm256_setr_epi8(
            2, 1, 0, -1, 3, 2, 1, -1, 4, 3, 2, -1, 5, 4, 3, -1, //
            6, 5, 4, -1, 7, 6, 5, -1, 8, 7, 6, -1, 9, 8, 7, -1,
        );
        let case_bit = _mm256_set1_epi8(0x20);
        let multiplier = _mm256_set1_epi32(TRIGRAM_MUL as i32);
        let low5 = _mm256_set1_epi32(31);
        let bits = self.trigrams.bits.as_ptr().cast::<i32>();
        // The set lanes of the eight windows ending at p..p + 8 (bit j: position p + j).
        let lanes_at = |p: usize| -> u64 {
            // SAFETY: callers keep p >= 2 and p + 14 <= hay.len(): the 16 bytes
            // p - 2..p + 14 are in `hay`; the load is unaligned.
            let bytes = unsafe {
                _mm256_broadcastsi128_si256(_mm_loadu_si128(hay.as_ptr().add(p - 2).cast()))
            };
            let windows = _mm256_shuffle_epi8(_mm256_or_si256(bytes, case_bit), windows_of);
            let hash = _mm256_mullo_epi32(windows, multiplier);
            // key = hash >> (32 - KEY_BITS): word key >> 5, bit key & 31.
            let word = _mm256_srli_epi32::<{ 37 - KEY_BITS as i32 }>(hash);
            let key = _mm256_srli_epi32::<{ 32 - KEY_BITS as i32 }>(hash);
            let to_sign = _mm256_andnot_si256(key, low5);
            // SAFETY: `word` < 2^(KEY_BITS - 5) (a 32-bit value shifted right by
            // 37 - KEY_BITS), the length of `bits`, in 4-byte words.
            let words = unsafe { _mm256_i32gather_epi32::<4>(bits, word) };
            // Shifting left by 31 - (key & 31) moves the key's bit to the sign.
            let hit = _mm256_sllv_epi32(words, to_sign);
            u64::from(_mm256_movemask_ps(_mm256_castsi256_ps(hit)) as u8)
        };
        let mut verify_lanes = |p: usize, mut lanes: u64| {
            while lanes != 0 {
                let at = p + lanes.trailing_zeros() as usize;
                lanes &= lanes - 1;
                let key = trigram_key(u32::from_be_bytes([0, hay[at - 2], hay[at - 1], hay[at]]));
                debug_assert!(self.trigrams.has(key), "vector and scalar keys differ");
                self.verify(hay, at, self.trigrams.get(key), found);
            }
        };
        // Sixty-four positions a round with no branch between the eight steps, and up to 32
        // rounds before the set lanes are verified: a set lane (about one position in a
        // hundred in text) would otherwise mispredict a branch every few steps, and every
        // mispredict would drain the gathers in flight.
        let mut rounds = [0u64; 32];
        let mut p = 2;
        loop {
            // Round r reads p + 64 * r - 2..p + 64 * r + 70.
            let n = (hay.len().saturating_sub(p + 6) / 64).min(rounds.len());
            if n == 0 {
                break;
            }
            for (r, lanes) in rounds[..n].iter_mut().enumerate() {
                *lanes = (0..8).fold(0, |acc, step| {
                    acc | lanes_at(p + 64 * r + 8 * step) << (8 * step)
                });
            }
            for (r, &lanes) in rounds[..n].iter().enumerate() {
                verify_lanes(p + 64 * r, lanes);
            }
            p += 64 * n;
        }
        while p + 14 <= hay.len() {
            verify_lanes(p, lanes_at(p));
            p += 8;
        }
        p.min(hay.len())
    }

    /// Checks the keywords anchored at `at` (the anchor's last byte).
    #[cold]
    fn verify(
        &self,
        hay: &[u8],
        at: usize,
        candidates: &[Anchor],
        found: &mut impl FnMut(usize, Range<usize>),
    ) {
        for anchor in candidates {
            let k = anchor.keyword as usize;
            let kw = &self.keywords[k];
            let Some(start) = at.checked_sub(anchor.offset as usize) else {
                continue;
            };
            let end = start + kw.len();
            if end > hay.len() {
                continue;
            }
            let matched = match hay.get(start..start + 8) {
                // Most candidates fail here, in one compare, without a loop over bytes.
                Some(eight) => {
                    let eight = u64::from_le_bytes(eight.try_into().expect("eight bytes"));
                    (eight | anchor.head_fold) & anchor.head_len == anchor.head
                        && hay[start + 8.min(kw.len())..end]
                            .eq_ignore_ascii_case(&kw[8.min(kw.len())..])
                }
                None => hay[start..end].eq_ignore_ascii_case(kw),
            };
            if matched {
                found(k, start..end);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    type Occurrences = Vec<(usize, Range<usize>)>;

    /// Every occurrence `find_all` reports, sorted.
    fn occurrences(set: &KeywordSet, hay: &[u8]) -> Occurrences {
        let mut v = Vec::new();
        set.find_all(hay, |k, r| v.push((k, r)));
        sort(&mut v);
        v
    }

    /// Sorts occurrences by position, then keyword.
    fn sort(v: &mut Occurrences) {
        v.sort_by_key(|(k, r)| (r.start, *k, r.end));
    }

    /// `run` on `set` with the scalar window scan (the only one off x86_64).
    fn with_scalar_path<T>(set: &mut KeywordSet, run: impl FnOnce(&KeywordSet) -> T) -> T {
        #[cfg(target_arch = "x86_64")]
        let detected = std::mem::replace(&mut set.avx2, false);
        let v = run(set);
        #[cfg(target_arch = "x86_64")]
        {
            set.avx2 = detected;
        }
        v
    }

    /// The occurrences through the scalar window scan.
    fn scalar_occurrences(set: &mut KeywordSet, hay: &[u8]) -> Occurrences {
        with_scalar_path(set, |set| occurrences(set, hay))
    }

    /// The occurrences through the path this CPU takes, checked against the scalar path.
    fn all(set: &mut KeywordSet, hay: &[u8]) -> Occurrences {
        let v = occurrences(set, hay);
        assert_eq!(
            v,
            scalar_occurrences(set, hay),
            "vector and scalar paths differ"
        );
        v
    }

    /// Every occurrence by comparing every keyword at every offset; an empty keyword once,
    /// at offset 0.
    fn naive(keywords: &[Vec<u8>], hay: &[u8]) -> Occurrences {
        let mut v = Vec::new();
        for (k, kw) in keywords.iter().enumerate() {
            if kw.is_empty() {
                v.push((k, 0..0));
                continue;
            }
            for start in 0..hay.len() {
                let end = start + kw.len();
                if end <= hay.len() && hay[start..end].eq_ignore_ascii_case(kw) {
                    v.push((k, start..end));
                }
            }
        }
        sort(&mut v);
        v
    }

    #[test]
    fn the_vector_path_runs_where_the_cpu_has_avx2() {
        let set = KeywordSet::new(&[b"key".to_vec()]);
        #[cfg(target_arch = "x86_64")]
        assert_eq!(set.avx2, std::is_x86_feature_detected!("avx2"));
        // Every position of an input longer than a block of rounds, through the first
        // positions, the blocks, the single steps and the tail.
        let hay = b"KEY".repeat(2200);
        let at: Vec<usize> = occurrences(&set, &hay)
            .iter()
            .map(|(_, r)| r.start)
            .collect();
        assert_eq!(at, (0..6600).step_by(3).collect::<Vec<_>>());
    }

    /// Bytes keywords and inputs are made of: few, so that keywords occur often; both cases,
    /// punctuation of real keywords, and bytes at and above 0x80.
    const ALPHABET: &[u8] = b"aAbBcCzZ_-.:/ 0\n\x80\xc1\xe1\xff";

    fn keyword() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            1 => Just(Vec::new()),
            12 => prop::collection::vec(prop::sample::select(ALPHABET), 1..=6),
        ]
    }

    /// A piece of input: a byte, or a keyword (by index) with its letters' case flipped by
    /// the bits of a mask.
    #[derive(Clone, Debug)]
    enum Piece {
        Byte(u8),
        Keyword(usize, u8),
    }

    fn pieces(most: usize) -> impl Strategy<Value = Vec<Piece>> {
        let piece = prop_oneof![
            3 => prop::sample::select(ALPHABET).prop_map(Piece::Byte),
            1 => any::<u8>().prop_map(Piece::Byte),
            2 => (any::<usize>(), any::<u8>()).prop_map(|(k, flip)| Piece::Keyword(k, flip)),
        ];
        prop::collection::vec(piece, 0..most)
    }

    /// The input the pieces spell, cut to at most `max_len` bytes from the end or the start
    /// (so that keywords sit at both edges and across the cut).
    fn spell(keywords: &[Vec<u8>], pieces: &[Piece], max_len: usize, keep_end: bool) -> Vec<u8> {
        let mut hay = Vec::new();
        for piece in pieces {
            match *piece {
                Piece::Byte(b) => hay.push(b),
                Piece::Keyword(k, flip) => {
                    let kw = &keywords[k % keywords.len()];
                    hay.extend(kw.iter().enumerate().map(|(i, &b)| {
                        if flip >> (i % 8) & 1 == 1 {
                            b.to_ascii_uppercase()
                        } else {
                            b.to_ascii_lowercase()
                        }
                    }));
                }
            }
        }
        if hay.len() > max_len {
            if keep_end {
                hay.drain(..hay.len() - max_len);
            } else {
                hay.truncate(max_len);
            }
        }
        hay
    }

    fn both_paths_agree_with_a_naive_search(
        keywords: &[Vec<u8>],
        pieces: &[Piece],
        max_len: usize,
        keep_end: bool,
    ) -> Result<(), TestCaseError> {
        let hay = spell(keywords, pieces, max_len, keep_end);
        let mut set = KeywordSet::new(keywords);
        let expected = naive(keywords, &hay);
        prop_assert_eq!(&occurrences(&set, &hay), &expected);
        prop_assert_eq!(&scalar_occurrences(&mut set, &hay), &expected);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn vector_and_scalar_paths_agree_with_a_naive_search(
            keywords in prop::collection::vec(keyword(), 1..10),
            pieces in pieces(120),
            max_len in 0usize..300,
            keep_end in any::<bool>(),
        ) {
            both_paths_agree_with_a_naive_search(&keywords, &pieces, max_len, keep_end)?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Inputs longer than a block of rounds of the vector path (2048 positions).
        #[test]
        fn paths_agree_on_long_inputs(
            keywords in prop::collection::vec(keyword(), 1..10),
            pieces in pieces(2500),
            max_len in 0usize..6000,
            keep_end in any::<bool>(),
        ) {
            both_paths_agree_with_a_naive_search(&keywords, &pieces, max_len, keep_end)?;
        }
    }

    #[test]
    fn finds_every_occurrence_case_insensitively() {
        let mut set =
            KeywordSet::new(&[b"ghp_".to_vec(), b"github_pat_".to_vec(), b"pat".to_vec()]);
        let hay = b"x GITHUB_PAT_y ghp_z Pat";
        assert_eq!(
            all(&mut set, hay),
            vec![(1, 2..13), (2, 9..12), (0, 15..19), (2, 21..24)]
        );
    }

    #[test]
    fn keywords_at_the_edges_and_short_inputs() {
        let mut set = KeywordSet::new(&[b"ab".to_vec(), b"x".to_vec(), b"".to_vec()]);
        assert_eq!(all(&mut set, b""), vec![(2, 0..0)]);
        assert_eq!(all(&mut set, b"x"), vec![(1, 0..1), (2, 0..0)]);
        assert_eq!(
            all(&mut set, b"abxAB"),
            vec![(0, 0..2), (2, 0..0), (1, 2..3), (0, 3..5)]
        );
        // Every empty keyword is reported.
        let mut empties = KeywordSet::new(&[Vec::new(), Vec::new()]);
        assert_eq!(all(&mut empties, b"ab"), vec![(0, 0..0), (1, 0..0)]);
    }

    #[test]
    fn agrees_with_a_naive_search() {
        let keywords: Vec<Vec<u8>> = ["key", "secret", "sk", "a3t", "-----begin", "://", "aaa"]
            .iter()
            .map(|k| k.as_bytes().to_vec())
            .collect();
        let mut set = KeywordSet::new(&keywords);
        let hay = b"SECRET_KEY=sk-aaaa; https://x -----BEGIN A3TA secretsk";
        assert_eq!(all(&mut set, hay), naive(&keywords, hay));
    }

    /// The built-in rules' keywords, lower-cased and deduplicated as the engine does.
    fn builtin_keywords() -> Vec<Vec<u8>> {
        let mut keywords: Vec<Vec<u8>> = Vec::new();
        for rule in crate::builtin::BUILTIN_RULES {
            for kw in rule.keywords {
                let kw = kw.to_ascii_lowercase().into_bytes();
                if !keywords.contains(&kw) {
                    keywords.push(kw);
                }
            }
        }
        keywords
    }

    /// Prints the throughput of the scalar and the vector window scans (a figure, not a
    /// check of speed) and checks that both find the same occurrences. The corpus is the
    /// file `OSPREY_KEYWORD_CORPUS` names (default /tmp/corpus.txt, e.g. an image's text
    /// files concatenated) or, when there is none, this crate's sources repeated to 16 MB.
    #[test]
    #[ignore = "slow: throughput figures of the keyword scan over a corpus"]
    fn keyword_scan_throughput() {
        let path = std::env::var("OSPREY_KEYWORD_CORPUS").unwrap_or("/tmp/corpus.txt".into());
        let (corpus, source) = match std::fs::read(&path) {
            Ok(corpus) => (corpus, path),
            Err(_) => {
                let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
                let mut sources = Vec::new();
                for entry in std::fs::read_dir(dir).unwrap() {
                    sources.extend(std::fs::read(entry.unwrap().path()).unwrap());
                }
                let repeated = sources.repeat((16 << 20) / sources.len() + 1);
                (repeated, format!("{path} absent: {dir}, repeated"))
            }
        };
        let mut set = KeywordSet::new(&builtin_keywords());
        let time = |set: &KeywordSet, found: &mut Occurrences| {
            found.clear();
            let start = std::time::Instant::now();
            set.find_all(&corpus, |k, r| found.push((k, r)));
            start.elapsed().as_secs_f64()
        };
        let (mut taken_found, mut scalar_found) = (Vec::new(), Vec::new());
        let (mut taken, mut scalar) = (f64::INFINITY, f64::INFINITY);
        // Best of seven, alternating, so that both paths see the same noise of a shared machine.
        for _ in 0..7 {
            taken = taken.min(time(&set, &mut taken_found));
            scalar = scalar.min(with_scalar_path(&mut set, |set| {
                time(set, &mut scalar_found)
            }));
        }
        #[cfg(target_arch = "x86_64")]
        let taken_path = if set.avx2 { "avx2" } else { "scalar (no AVX2)" };
        #[cfg(not(target_arch = "x86_64"))]
        let taken_path = "scalar (not x86_64)";
        let mb_per_s = |seconds: f64| corpus.len() as f64 / seconds / 1e6;
        println!(
            "keyword scan over {} bytes ({source}), {} occurrences: scalar {:.0} MB/s, \
             {taken_path} {:.0} MB/s",
            corpus.len(),
            taken_found.len(),
            mb_per_s(scalar),
            mb_per_s(taken),
        );
        sort(&mut taken_found);
        sort(&mut scalar_found);
        assert!(
            taken_found == scalar_found,
            "the paths found different occurrences"
        );
    }
}
