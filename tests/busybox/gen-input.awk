# Deterministic test text for tests/busybox: `awk -v lines=N -f gen-input.awk`.
# Uses the Park-Miller generator (x = x * 16807 mod 2^31-1), whose products stay below
# 2^53, so every awk (mawk, gawk, busybox) computes the same numbers with doubles and the
# output is byte-identical everywhere. Lines look like
#   000042 delta Tuesday 73581 rust quartz lemon 9.25
# (id, name, category, value, 1-6 words, a decimal), with repeats for uniq/sort to chew on.
function rnd(n) { seed = (seed * 16807) % 2147483647; return seed % n }
BEGIN {
    seed = 20240601
    nw = split("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima " \
               "mike november oscar papa quebec romeo sierra tango uniform victor whiskey " \
               "xray yankee zulu amber basalt cobalt dune ember fjord granite harbor iris " \
               "jade kelp lemon marble nectar onyx pearl quartz rust slate topaz umber " \
               "velvet willow", w, " ")
    split("Monday Tuesday Wednesday Thursday Friday Saturday Sunday", day, " ")
    for (i = 1; i <= lines; i++) {
        line = sprintf("%06d %s %s %d", i, w[rnd(nw) + 1], day[rnd(7) + 1], rnd(100000))
        k = rnd(6) + 1
        for (j = 0; j < k; j++)
            line = line " " w[rnd(nw) + 1]
        line = line sprintf(" %d.%02d", rnd(1000), rnd(100))
        print line
        if (rnd(10) == 0)   # an exact duplicate of the previous text, new id
            printf "%06d%s\n", i, substr(line, 7)
    }
}
