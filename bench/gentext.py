#!/usr/bin/env python3
"""Writes the deterministic text input for the busybox benchmarks (gzip, sha256sum,
sort): lines of words drawn with a skewed distribution plus numbers, so it compresses
and sorts like ordinary log or prose data. Same seed and size -> same bytes.

Usage: gentext.py OUTFILE SIZE_BYTES
"""

import random
import sys


def main():
    out, size = sys.argv[1], int(sys.argv[2])
    rng = random.Random(12345)
    syll = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "xe", "zu", "an", "el", "or", "ph",
            "st", "qu", "ing", "er", "ed", "ly"]
    vocab = ["".join(rng.choice(syll) for _ in range(rng.randint(1, 4))) for _ in range(5000)]
    # Zipf-like weights: a few words are common, most are rare
    cum, acc = [], 0.0
    for i in range(len(vocab)):
        acc += 1.0 / (i + 1)
        cum.append(acc)
    lines, total = [], 0
    while total < size:
        words = rng.choices(vocab, cum_weights=cum, k=rng.randint(3, 14))
        if rng.random() < 0.3:
            words.append(str(rng.randint(0, 10 ** rng.randint(1, 9))))
        line = " ".join(words) + "\n"
        lines.append(line)
        total += len(line)
    data = "".join(lines)[:size]
    data = data[: data.rfind("\n") + 1]
    with open(out, "w") as f:
        f.write(data)


if __name__ == "__main__":
    main()
