"""Character n-gram TF-IDF over the FAQ phrasings: the lexical signal fused with the encoder.

The LSTM blurs rare domain words (product names, error codes) into sub-word pieces it has
seen elsewhere; n-grams of 2 to 4 characters inside each word keep them. The weighting is
scikit-learn's `TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)`
(a test holds the two equal), written in NumPy so serving imports neither scikit-learn nor
SciPy (about 2 s of start-up). The vocabulary and IDF come from the FAQ alone, so a query's
scores never depend on other queries.

N-grams are counted without Python loops over characters: the texts become one array of
character ids (words padded with spaces, separated by 0) and an n-gram is its n ids read as
one base-B number, B the alphabet size + 1, so 100,000 phrasings index in about a second.
Rows (phrasing -> n-grams) score any set of phrasings exactly; postings of the rare n-grams
(term -> phrasings) find the phrasings worth scoring in a large FAQ without touching the
tens of thousands that share " th" with every query.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from faqbot.matching.alignment import dropped, runs

NGRAMS = (2, 4)
MAX_CHARS = 2**15 - 1  # distinct characters with their own id: four ids must fit a uint64 key
RARE_SHARE = 0.005  # an n-gram in at most this share of the phrasings (and RARE_MIN) finds candidates
RARE_MIN = 50
COUNT_CHUNK = 10_000  # phrasings whose n-grams are counted at once
SUM_ROWS = 8192  # phrasings whose weights are summed at once (in float64: no 88 MB copy at 100k)
POSTINGS = 3000  # rare-n-gram postings a query reads for its candidates, at most (the rarest first)


def _char_ids(texts: Sequence[str], alphabet: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ids, owner): one id per character of the texts' padded words (0 between words and
    texts, -1 for a character the alphabet lacks) and the text of each."""
    segments = ["".join(f" {word} \0" for word in text.split()) for text in texts]
    codes = np.frombuffer("".join(segments).encode("utf-32-le"), dtype=np.uint32)
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), [len(s) for s in segments])
    ids = np.searchsorted(alphabet, codes).astype(np.int64)
    known = ids < len(alphabet)
    known[known] = alphabet[ids[known]] == codes[known]
    ids = np.where(codes == 0, 0, np.where(known, np.minimum(ids + 1, MAX_CHARS), -1))
    return ids, owner


def _alphabet(texts: Sequence[str]) -> np.ndarray:
    """The characters of the texts' words and the space that pads them, sorted: what
    `_char_ids` gives ids to."""
    words = " ".join(" ".join(text.split()) for text in texts)
    codes = np.unique(np.frombuffer(words.encode("utf-32-le"), dtype=np.uint32))
    return np.union1d(codes, [ord(" ")]).astype(np.uint32) if len(codes) else codes


def _grams(ids: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, key) of every n-gram window that lies inside one padded word and holds only
    known characters, as scikit-learn's `char_wb` analyzer finds them: `start` is where in
    `ids` the window begins."""
    low, high = NGRAMS
    valid = ids > 0
    digits = np.maximum(ids, 0).astype(np.uint64)
    keys = digits
    starts, out = [], []
    for n in range(2, high + 1):
        keys = keys[:-1] * np.uint64(base) + digits[n - 1 :]
        valid = valid[:-1] & (ids[n - 1 :] > 0)
        if n >= low:
            starts.append(np.flatnonzero(valid))
            out.append(keys[valid])
    return np.concatenate(starts), np.concatenate(out)


@dataclass(frozen=True)
class Counted:
    """N-grams counted in some texts: (row, term) pairs sorted by row, then term."""

    vocabulary: np.ndarray  # (terms,) uint64 keys, sorted
    rows: np.ndarray  # (pairs,) int64
    terms: np.ndarray  # (pairs,) int64 into vocabulary
    counts: np.ndarray  # (pairs,) uint8


@dataclass(frozen=True)
class QueryTerms:
    """One query's known n-grams: term columns (sorted) and their L2-normalised TF-IDF weights."""

    terms: np.ndarray  # (k,) int64
    weights: np.ndarray  # (k,) float32


@dataclass(frozen=True)
class LexicalIndex:
    """Sparse TF-IDF rows of the phrasings, and postings of their rare n-grams."""

    alphabet: np.ndarray  # (chars,) uint32 code points, sorted; a character's id is its position + 1
    keys: np.ndarray  # (terms,) uint64 n-gram keys, sorted: the column order
    idf: np.ndarray  # (terms,) float32
    df: np.ndarray  # (terms,) int32: phrasings with the n-gram; 0 for one only a removed phrasing had
    row_ptr: np.ndarray  # (phrasings + 1,) int64: phrasing p's n-grams are [row_ptr[p], row_ptr[p + 1])
    row_terms: np.ndarray  # (nnz,) uint16 (int32 past 65,536 n-grams): 22 MB less at 100k phrasings
    row_counts: np.ndarray  # (nnz,) uint8: times the n-gram occurs (capped at 255), 1 byte where a weight takes 4
    row_norms: np.ndarray  # (phrasings,) float32: the L2 norm of each phrasing's TF-IDF weights
    rare_ptr: np.ndarray  # (terms + 1,) int64: postings of term t, empty unless t is rare
    rare_rows: np.ndarray  # (rare postings,) int32
    rare_values: np.ndarray  # (rare postings,) float32

    @property
    def n_phrasings(self) -> int:
        return len(self.row_ptr) - 1

    @classmethod
    def build(cls, phrasings: Sequence[str], previous: LexicalIndex | None = None,
              previous_rows: np.ndarray | None = None) -> LexicalIndex:
        """Fit vocabulary and IDF (smoothed, as scikit-learn's default) on normalised phrasings.

        `previous_rows[i]`: the row of phrasings[i] in `previous` (-1: new), whose counted
        n-grams are reused, so an edit of a 100k-phrasing FAQ counts only what changed."""
        if previous is not None and previous_rows is not None and len(previous_rows):
            fresh = np.flatnonzero(previous_rows < 0)
            ids, owner = _char_ids([phrasings[i] for i in fresh], previous.alphabet)
            if not (ids < 0).any():  # no character the old alphabet lacks: its keys still apply
                return cls._update(previous, previous_rows, fresh, _counted(ids, owner, previous.alphabet))
        alphabet = _alphabet(phrasings)
        # counted a chunk of phrasings at a time, each chunk's pairs kept compactly (its own
        # term ids, 2 bytes while they fit): all 100k phrasings' n-grams at once took 900 MB
        vocabularies, local_terms, counts, lengths = [], [], [], [np.zeros(0, dtype=np.int64)]
        for start in range(0, len(phrasings), COUNT_CHUNK):
            chunk = phrasings[start : start + COUNT_CHUNK]
            counted = _counted(*_char_ids(chunk, alphabet), alphabet)
            vocabularies.append(counted.vocabulary)
            local_terms.append(counted.terms.astype(_term_dtype(len(counted.vocabulary))))
            counts.append(counted.counts)
            lengths.append(np.bincount(counted.rows, minlength=len(chunk)))
        vocabulary = np.unique(np.concatenate([np.zeros(0, dtype=np.uint64), *vocabularies]))
        dtype = _term_dtype(len(vocabulary))
        terms = [np.searchsorted(vocabulary, v).astype(dtype)[t] for v, t in zip(vocabularies, local_terms)]
        row_ptr = np.concatenate([[0], np.cumsum(np.concatenate(lengths))])
        return cls._finish(alphabet, vocabulary, row_ptr, np.concatenate([np.zeros(0, dtype), *terms]),
                           np.concatenate([np.zeros(0, np.uint8), *counts]))

    @classmethod
    def _update(cls, previous: LexicalIndex, previous_rows: np.ndarray, fresh: np.ndarray,
                counted: Counted) -> LexicalIndex:
        """The index of the new phrasings: kept rows' n-grams copied from `previous` a run of
        consecutive rows at a time (an edit leaves a few long runs), fresh ones counted. An
        n-gram no phrasing has any more keeps its column (document frequency 0), so kept rows'
        term ids stay valid unless new n-grams come."""
        vocabulary = previous.keys
        if not np.isin(counted.vocabulary, vocabulary).all():
            vocabulary = np.union1d(vocabulary, counted.vocabulary)
        dtype = _term_dtype(len(vocabulary))
        moved = None if vocabulary is previous.keys else np.searchsorted(vocabulary, previous.keys).astype(dtype)
        fresh_terms = np.searchsorted(vocabulary, counted.vocabulary).astype(dtype)[counted.terms]
        fresh_ptr = np.concatenate([[0], np.cumsum(np.bincount(counted.rows, minlength=len(fresh)))])
        terms, counts, lengths = [], [], []
        for start, end in runs(previous_rows):
            if previous_rows[start] >= 0:
                a, b = previous.row_ptr[previous_rows[start]], previous.row_ptr[previous_rows[end - 1] + 1]
                old = previous.row_terms[a:b]
                terms.append(old.astype(dtype, copy=False) if moved is None else moved[old])
                counts.append(previous.row_counts[a:b])
                lengths.append(np.diff(previous.row_ptr[previous_rows[start] : previous_rows[end - 1] + 2]))
            else:
                f = int(np.searchsorted(fresh, start))  # fresh rows are in order: a fresh run is a slice of them
                a, b = fresh_ptr[f], fresh_ptr[f + end - start]
                terms.append(fresh_terms[a:b])
                counts.append(counted.counts[a:b])
                lengths.append(np.diff(fresh_ptr[f : f + end - start + 1]))
        row_ptr = np.concatenate([[0], np.cumsum(np.concatenate(lengths))])
        # document frequencies from the previous ones: less the removed rows' n-grams, plus the fresh rows'
        gone = dropped(previous_rows, previous.n_phrasings)
        gone_terms = previous.row_terms[ranges(previous.row_ptr[gone], np.diff(previous.row_ptr)[gone])]
        df = np.zeros(len(vocabulary), dtype=np.int64)
        df[np.arange(len(previous.keys)) if moved is None else moved] = previous.df
        df += np.bincount(fresh_terms, minlength=len(vocabulary))
        df -= np.bincount(gone_terms if moved is None else moved[gone_terms], minlength=len(vocabulary))
        return cls._finish(previous.alphabet, vocabulary, row_ptr, np.concatenate(terms), np.concatenate(counts), df)

    @classmethod
    def _finish(cls, alphabet: np.ndarray, vocabulary: np.ndarray, row_ptr: np.ndarray, terms: np.ndarray,
                counts: np.ndarray, df: np.ndarray | None = None) -> LexicalIndex:
        """The index from each phrasing's n-grams (terms and counts, row after row, `row_ptr`
        marking where each starts): IDF, norms and the rare n-grams' postings. `df`: the
        document frequencies when known (an update), else counted."""
        n = len(row_ptr) - 1
        df = (np.bincount(terms, minlength=len(vocabulary)) if df is None else df).astype(np.int32)
        idf = (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)
        values = idf[terms]  # times the term frequency's weight, which is 1 for most pairs (one occurrence)
        many = np.flatnonzero(counts > 1)
        values[many] *= _TF[counts[many]]
        norms = _norms(values, row_ptr)
        rare = (df > 0) & (df <= max(RARE_MIN, int(RARE_SHARE * n)))
        pairs = np.flatnonzero(rare[terms])
        rows = (np.searchsorted(row_ptr, pairs, side="right") - 1).astype(np.int32)
        by_term = np.argsort(terms[pairs], kind="stable")  # by term, then row (a radix sort of term ids)
        pairs, rows = pairs[by_term], rows[by_term]
        return cls(
            alphabet=alphabet, keys=vocabulary, idf=idf, df=df, row_ptr=row_ptr.astype(np.int64),
            row_terms=terms.astype(_term_dtype(len(vocabulary)), copy=False), row_counts=counts,
            row_norms=norms, rare_ptr=np.concatenate([[0], np.cumsum(np.where(rare, df, 0))]).astype(np.int64),
            rare_rows=rows.astype(np.int32), rare_values=(values[pairs] / np.where(norms > 0, norms, 1.0)[rows]),
        )

    @functools.cached_property
    def _char_id(self) -> dict[str, int]:
        """Each character's id, as `_char_ids` gives it: 0 separates words."""
        return {"\0": 0} | {chr(c): min(i + 1, MAX_CHARS) for i, c in enumerate(self.alphabet.tolist()) if c}

    def query_terms(self, queries: Sequence[str]) -> list[QueryTerms]:
        """Each normalised query's n-grams that some phrasing has, weighted as scikit-learn's
        `transform` weights them (unknown n-grams are ignored, then the row is normalised)."""
        return [self._query_terms(query) for query in queries]

    def _query_terms(self, query: str) -> QueryTerms:
        """One query's: character ids from a dict (`_char_ids` searches the alphabet, which for
        one question cost more than the rest), then `_grams`, as for the phrasings."""
        char_id = self._char_id
        ids = np.array([char_id.get(c, -1) for c in "".join(f" {word} \0" for word in query.split())], dtype=np.int64)
        _, keys = _grams(ids, min(len(self.alphabet), MAX_CHARS) + 1)
        if not len(keys) or not len(self.keys):
            return QueryTerms(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        keys, counts = np.unique(keys, return_counts=True)
        columns = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)  # sorted keys: sorted columns
        known = (self.keys[columns] == keys) & (self.df[columns] > 0)
        terms = columns[known]
        weights = (1.0 + np.log(counts[known])) * self.idf[terms]
        norm = math.sqrt(float(weights @ weights))
        return QueryTerms(terms, (weights / norm if norm > 0 else weights).astype(np.float32))

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """(queries, phrasings) cosines of normalised queries' TF-IDF rows with every phrasing's."""
        out = np.zeros((len(queries), self.n_phrasings), dtype=np.float32)
        rows = np.arange(self.n_phrasings)
        for i, query in enumerate(self.query_terms(queries)):
            if len(query.terms):  # else nothing in common with any phrasing
                out[i] = self.row_scores(query, rows)
        return out

    def row_scores(self, query: QueryTerms, rows: np.ndarray) -> np.ndarray:
        """(len(rows),) cosines of one query with the given phrasings only. Their n-grams are
        copied a run of consecutive rows at a time: a candidate entry's phrasings are one run,
        so a question's 500 rows take 60 slices, where gathering them pair by pair took twice
        as long."""
        if not len(rows) or not len(query.terms):
            return np.zeros(len(rows), dtype=np.float32)
        breaks = np.flatnonzero(rows[1:] != rows[:-1] + 1) + 1
        firsts = self.row_ptr[rows[np.concatenate([[0], breaks])]].tolist()
        lasts = self.row_ptr[rows[np.concatenate([breaks, [len(rows)]]) - 1] + 1].tolist()
        terms = np.concatenate([self.row_terms[a:b] for a, b in zip(firsts, lasts)])
        if not len(terms):
            return np.zeros(len(rows), dtype=np.float32)
        by_term = np.zeros(len(self.keys), dtype=np.float32)  # the query's weight times the IDF; 0 elsewhere
        by_term[query.terms] = query.weights * self.idf[query.terms]
        products = by_term[terms] * _TF[np.concatenate([self.row_counts[a:b] for a, b in zip(firsts, lasts)])]
        lengths = self.row_ptr[rows + 1] - self.row_ptr[rows]
        filled = np.flatnonzero(lengths)  # reduceat would give an empty row its neighbour's value
        dots = np.zeros(len(rows))
        dots[filled] = np.add.reduceat(products, (np.cumsum(lengths) - lengths)[filled], dtype=np.float64)
        norms = self.row_norms[rows]
        return (dots / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    def candidates(self, query: QueryTerms, k: int, postings: int = POSTINGS) -> np.ndarray:
        """Up to `k` phrasings with the best cosine over the query's rare n-grams (unsorted),
        from the rarest n-grams whose postings add up to at most `postings`: the rarest weigh
        most, and a long query's cost stays bounded."""
        lengths = self.rare_ptr[query.terms + 1] - self.rare_ptr[query.terms]
        order = np.argsort(lengths, kind="stable")
        used = order[(np.cumsum(lengths[order]) <= postings) | (np.arange(len(order)) == 0)]
        starts, lengths, weights = self.rare_ptr[query.terms[used]], lengths[used], query.weights[used]
        if lengths.sum() == 0:
            return np.zeros(0, dtype=np.intp)
        picks = ranges(starts, lengths)
        hits = self.rare_rows[picks]
        by_row = np.argsort(hits, kind="stable")  # np.unique's inverse took twice as long
        hits = hits[by_row]
        firsts = np.flatnonzero(np.concatenate([[True], hits[1:] != hits[:-1]]))
        rows = hits[firsts]
        partial = np.add.reduceat((self.rare_values[picks] * np.repeat(weights, lengths))[by_row], firsts,
                                  dtype=np.float64)
        if len(rows) > k:
            rows = rows[np.argpartition(-partial, k - 1)[:k]]
        return rows.astype(np.intp)

    def arrays(self) -> dict[str, np.ndarray]:
        """What `from_arrays` needs, for the on-disk index cache."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> LexicalIndex:
        return cls(**{name: arrays[name] for name in cls.__dataclass_fields__})


def _counted(ids: np.ndarray, owner: np.ndarray, alphabet: np.ndarray) -> Counted:
    """Each text's distinct n-grams and their counts, sorted by text, then key."""
    starts, keys = _grams(ids, min(len(alphabet), MAX_CHARS) + 1)
    rows = owner[starts]
    vocabulary = np.unique(keys)
    rows, terms, counts = _count_pairs(rows, np.searchsorted(vocabulary, keys), len(vocabulary))
    return Counted(vocabulary, rows, terms, np.minimum(counts, 255).astype(np.uint8))


def _count_pairs(rows: np.ndarray, columns: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (row, column) pairs, sorted by row, then column, and how often each
    occurs: one sort of row * width + column, faster than a lexsort."""
    pairs, counts = np.unique(rows * width + columns, return_counts=True)
    return pairs // width, pairs % width, counts


def _term_dtype(terms: int) -> type:
    """Term ids in 2 bytes while they fit (22 MB less at 100k phrasings), else 4."""
    return np.uint16 if terms <= 2**16 else np.int32


_TF = (1.0 + np.log(np.maximum(np.arange(256), 1))).astype(np.float32)  # sublinear TF by (uint8) count; 0 never occurs


def _norms(values: np.ndarray, row_ptr: np.ndarray) -> np.ndarray:
    """(rows,) float32 L2 norm of each row's values (row i: values[row_ptr[i]:row_ptr[i + 1]]),
    summed in float64 a block of rows at a time."""
    n = len(row_ptr) - 1
    squares = np.zeros(n)
    for a in range(0, n, SUM_ROWS):
        b = min(a + SUM_ROWS, n)
        lengths = np.diff(row_ptr[a : b + 1])
        filled = np.flatnonzero(lengths)  # reduceat would give an empty row its neighbour's value
        if len(filled):
            part = values[row_ptr[a] : row_ptr[b]].astype(np.float64)
            squares[a + filled] = np.add.reduceat(part * part, row_ptr[a + filled] - row_ptr[a])
    return np.sqrt(squares).astype(np.float32)


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Every index of the ranges [start, start + length), concatenated."""
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return np.repeat(starts - offsets, lengths) + np.arange(lengths.sum())
