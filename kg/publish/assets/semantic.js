/* kg: search by meaning in the browser, with no server and no model (see kg/publish/semantic.py).
 *
 * An ES module, imported by kg.js on the reader's first search. It reads two files of the site:
 *   semantic/table.bin  one vector per WordPiece token of the model (product-quantised) and its
 *                       vocabulary, the same for every site;
 *   semantic/vault.bin  a vector for each passage, sentence and page title of this site (the
 *                       real model's, plus a share of the text embedded as a query is; int8),
 *                       where each is shown, and how many passages hold each token.
 * A query is tokenised exactly as the model's tokenizer does (BERT uncased WordPiece: clean,
 * split Chinese characters, strip accents, lowercase, split on spaces and punctuation, greedy
 * longest match with ## continuations); its vector is the weighted mean of its tokens' rows,
 * normalised, minus the vault's mean, and it is compared with every vector of the vault.
 */

var decoder = new TextDecoder("utf-8");

/* ------------------------------------------------------------ tokenizer */

var CONTROL = /[\p{Cc}\p{Cf}\p{Co}]/u;
var SPACE = /\p{White_Space}/u;
var MARK = /\p{Mn}/u;
var PUNCTUATION = /[\p{P}!-\/:-@\[-`{-~]/u;

function isChinese(code) {
  return (code >= 0x4E00 && code <= 0x9FFF) || (code >= 0x3400 && code <= 0x4DBF) ||
    (code >= 0x20000 && code <= 0x2A6DF) || (code >= 0x2A700 && code <= 0x2B73F) ||
    (code >= 0x2B740 && code <= 0x2B81F) || (code >= 0x2B920 && code <= 0x2CEAF) ||
    (code >= 0xF900 && code <= 0xFAFF) || (code >= 0x2F800 && code <= 0x2FA1F);
}

/* The model's normaliser (BertNormalizer): drop NUL, U+FFFD and control characters, turn every
 * space into " ", put spaces around Chinese characters, strip accents (NFD, then no nonspacing
 * marks), lowercase each character. */
export function normalise(text, settings) {
  var out = "";
  for (var ch of text) {
    var code = ch.codePointAt(0);
    if (code === 0 || code === 0xFFFD) continue;
    if (ch !== "\t" && ch !== "\n" && ch !== "\r" && CONTROL.test(ch)) continue;
    if (SPACE.test(ch)) out += " ";
    else if (isChinese(code)) out += " " + ch + " ";
    else out += ch;
  }
  if (settings.strip_accents) {
    var stripped = "";
    for (var c of out.normalize("NFD")) if (!MARK.test(c)) stripped += c;
    out = stripped;
  }
  if (settings.lowercase) {
    var lower = "";
    for (var l of out) lower += l.toLowerCase();
    out = lower;
  }
  return out;
}

/* The words of normalised text: split on spaces, each punctuation character a word of its own. */
export function words(text) {
  var found = [];
  var word = "";
  for (var ch of text) {
    if (SPACE.test(ch)) {
      if (word) found.push(word);
      word = "";
    } else if (PUNCTUATION.test(ch)) {
      if (word) found.push(word);
      found.push(ch);
      word = "";
    } else {
      word += ch;
    }
  }
  if (word) found.push(word);
  return found;
}

export function Tokenizer(tokens, settings) {
  var ids = new Map();
  tokens.forEach(function (token, i) { ids.set(token, i); });
  var prefix = settings.prefix;
  var longest = settings.max_word_chars;
  var unk = settings.unk;

  function wordPiece(word, out) {
    var chars = Array.from(word);
    if (chars.length > longest) {
      out.push(unk);
      return;
    }
    var pieces = [];
    var start = 0;
    while (start < chars.length) {
      var end = chars.length;
      var found = -1;
      while (end > start) {
        var piece = chars.slice(start, end).join("");
        if (start > 0) piece = prefix + piece;
        var id = ids.get(piece);
        if (id !== undefined) {
          found = id;
          break;
        }
        end--;
      }
      if (found < 0) {
        out.push(unk);
        return;
      }
      pieces.push(found);
      start = end;
    }
    for (var i = 0; i < pieces.length; i++) out.push(pieces[i]);
  }

  // Added tokens ([CLS], [MASK]...) are taken as they are written, before anything else: the
  // text is cut at each (the leftmost, then the longest) and the pieces between are tokenised.
  var added = (settings.added || []).slice().sort(function (a, b) { return b[0].length - a[0].length; });
  var addedIds = new Map(added);
  var cut = added.length ? new RegExp("(" + added.map(function (a) {
    return a[0].replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }).join("|") + ")") : null;

  this.encode = function (text) {
    var out = [];
    (cut ? text.split(cut) : [text]).forEach(function (part, i) {
      if (i % 2) out.push(addedIds.get(part));
      else words(normalise(part, settings)).forEach(function (word) { wordPiece(word, out); });
    });
    return out;
  };
}

/* ------------------------------------------------------------ files */

function lines(bytes, count) {
  // the byte offsets just after each of the first `count` line breaks
  var ends = [];
  for (var i = 0; i < bytes.length && ends.length < count; i++) if (bytes[i] === 10) ends.push(i + 1);
  if (ends.length < count) throw new Error("not a kg file");
  return ends;
}

function readTable(buffer) {
  var bytes = new Uint8Array(buffer);
  var ends = lines(bytes, 2);
  var meta = JSON.parse(decoder.decode(bytes.subarray(ends[0], ends[1] - 1)));
  var width = meta.dim / meta.subspaces;
  return {
    meta: meta,
    books: new Float32Array(buffer, meta.books, meta.subspaces * meta.centroids * width),
    codes: new Uint8Array(buffer, meta.codes, meta.tokens * meta.subspaces),
    tokens: decoder.decode(bytes.subarray(meta.vocab)).split("\n")
  };
}

function readVault(buffer) {
  var bytes = new Uint8Array(buffer);
  var ends = lines(bytes, 2);
  var meta = JSON.parse(decoder.decode(bytes.subarray(ends[0], ends[1] - 1)));
  var start = ends[1] + ((4 - ends[1] % 4) % 4);
  return {
    meta: meta,
    scales: new Float32Array(buffer, start, meta.count),
    codes: new Int8Array(buffer, start + 4 * meta.count, meta.count * meta.dim)
  };
}

async function fetchBuffer(url) {
  // revalidated on every load (a 304 when unchanged): a rebuilt site is never searched with old data
  var response = await fetch(url, { cache: "no-cache" });
  if (!response.ok) throw new Error("HTTP " + response.status + " for " + url);
  return response.arrayBuffer();
}

/* ------------------------------------------------------------ search */

function Index(table, vault, root) {
  var meta = vault.meta;
  var dim = meta.dim;
  var tm = table.meta;
  if (tm.dim !== dim) throw new Error("the table and the vault do not match");
  var tokenizer = new Tokenizer(table.tokens, tm);

  // token weights: -log of the share of passages holding the token, smoothed towards a Zipf prior
  var df = new Float64Array(tm.tokens);
  meta.df[0].forEach(function (id, i) { df[id] = meta.df[1][i]; });
  var prior = meta.prior;
  var weights = new Float64Array(tm.tokens);
  for (var t = 0; t < tm.tokens; t++) {
    var rank = Math.max(t - (prior.first - 1), 1);
    var share = Math.min(prior.scale * Math.pow(rank, -prior.exponent), 1);
    weights[t] = -Math.log((df[t] + prior.passages * share) / (meta.passages + prior.passages));
  }
  weights[tm.unk] = 0;
  var centre = Float64Array.from(meta.centre);
  var units = meta.units;
  var count = meta.count;
  var width = dim / tm.subspaces;

  function vector(query) {
    var ids = tokenizer.encode(query).slice(0, 256);
    var q = new Float64Array(dim);
    var any = false;
    ids.forEach(function (id) {
      var w = weights[id];
      if (!w) return;
      any = true;
      for (var m = 0; m < tm.subspaces; m++) {
        var at = (m * tm.centroids + table.codes[id * tm.subspaces + m]) * width;
        for (var j = 0; j < width; j++) q[m * width + j] += w * table.books[at + j];
      }
    });
    if (!any) return null;
    var norm = 0, d;
    for (d = 0; d < dim; d++) norm += q[d] * q[d];
    norm = Math.sqrt(norm);
    if (norm < 1e-12) return null;
    var n2 = 0;
    for (d = 0; d < dim; d++) {
      q[d] = q[d] / norm - centre[d];
      n2 += q[d] * q[d];
    }
    n2 = Math.sqrt(n2) || 1;
    for (d = 0; d < dim; d++) q[d] /= n2;
    return q;
  }

  this.tokenizer = tokenizer;
  this.vector = vector;

  /* The `limit` best pages for `query`: {url, title, text, score}, best first. */
  this.search = function (query, limit) {
    var q = vector(query);
    if (!q) return [];
    var raw = new Float64Array(count);
    var codes = vault.codes;
    for (var u = 0; u < count; u++) {
      var s = 0, base = u * dim;
      for (var d = 0; d < dim; d++) s += q[d] * codes[base + d];
      raw[u] = s * vault.scales[u];
    }
    // a passage read as sentences scores share x its best sentence + the rest x its own vector
    var best = new Float64Array(count).fill(-Infinity);
    var bestSentence = new Int32Array(count).fill(-1);
    for (u = 0; u < count; u++) {
      var g = units[u][2];
      if (units[u][1] === 2 && raw[u] > best[g]) {
        best[g] = raw[u];
        bestSentence[g] = u;
      }
    }
    var pages = meta.pages;
    var pageScore = new Float64Array(pages.length).fill(-Infinity);
    var pageUnit = new Int32Array(pages.length).fill(-1);
    var pageUnitScore = new Float64Array(pages.length).fill(-Infinity);
    for (u = 0; u < count; u++) {
      var kind = units[u][1];
      if (kind === 2) continue;
      var score = bestSentence[u] >= 0 ? meta.share * best[u] + (1 - meta.share) * raw[u] : raw[u];
      if (kind === 3) score *= meta.question;  // a question shares a query's words but does not answer it
      var p = units[u][0];
      if (score > pageScore[p]) pageScore[p] = score;
      if (kind !== 0 && score > pageUnitScore[p]) {
        pageUnitScore[p] = score;
        pageUnit[p] = bestSentence[u] >= 0 ? bestSentence[u] : u;
      }
    }
    var order = [];
    for (p = 0; p < pages.length; p++) if (pageScore[p] > -Infinity) order.push(p);
    order.sort(function (a, b) { return pageScore[b] - pageScore[a] || a - b; });
    return order.slice(0, limit).map(function (p) {
      var shown = pageUnit[p] >= 0 ? units[pageUnit[p]] : null;
      var url = new URL(pages[p][0], root);
      if (shown && shown[3]) url.hash = shown[3];
      return { url: url.href, page: new URL(pages[p][0], root).pathname, title: pages[p][1],
               text: shown ? shown[4] : "", score: pageScore[p] };
    });
  };
}

/* Load the table and the vault's data from `base` (the site's semantic/ folder, an absolute URL);
 * `root` is the site's root URL, against which page paths resolve. */
export async function open(base, root) {
  var buffers = await Promise.all([fetchBuffer(new URL("table.bin", base).href),
                                   fetchBuffer(new URL("vault.bin", base).href)]);
  return new Index(readTable(buffers[0]), readVault(buffers[1]), root);
}

/* The tokenizer alone, from a table file (for tests). */
export async function tokenizer(base) {
  var table = readTable(await fetchBuffer(new URL("table.bin", base).href));
  return new Tokenizer(table.tokens, table.meta);
}
