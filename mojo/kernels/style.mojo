"""RSMT's style encoder (transitionnet.encode_style, max-mojo's "rsmt_sampler_style") in one call from Python.

features (channels-last frames) -> four ReLU convolutions -> tokens (T', S); then for each of the two sites
(embedding_style, phase_predictor): gamma, beta = affine4(ELU(affine2(mean of the tokens over time))), keys =
g(tokens normalised over all their T' x S values), values = h(tokens).

Why one call: at batch 1 the encoder's eight large layers (the convolutions and the keys and values) each handed
half their work to a second thread, and each hand-off (`parallelize`) costs tens of microseconds here; in one call
the two threads are a team with one hand-off (gemm.team_open, gemm_claimed and team_wait, as in the sampler: the
leader opens a layer once its inputs are ready, both claim its work items, the leader waits for them). A batch
worth two threads is split into one share of the sequences per thread, each running the whole encoder alone.
"""
from std.math import sqrt

from kernels.dense import ACT_ELU, ACT_NONE, ACT_RELU
from kernels.gemm import PackedLayer, row_shares, share_rows, team_open, team_wait
from kernels.pointers import F32Ptr, I64Ptr

from max.algorithm.backend.cpu.parallelize import parallelize

comptime CONVS = 4
comptime SITES = 2
comptime HEADER = 4  # spec: [threads, channels, frames, style dim], then CONVS + 4 * SITES descriptor addresses
comptime TEAM_LAYERS = CONVS + 2 * SITES  # the layers a team shares: the convolutions, each site's keys and values


def style_team_counters() -> List[Int64]:
    """Zeroed counters of a team: layers opened, then (claimed, done) per shared layer."""
    return List[Int64](length=1 + 2 * TEAM_LAYERS, fill=0)


struct Style(Movable):
    """The encoder's layers and sizes, read from a spec (see style_encode)."""

    var threads: Int
    var channels: Int
    var frames: Int
    var s: Int
    var tokens: Int
    var layers: List[PackedLayer]  # the convolutions, then per site: affine2, affine4, g, h

    def __init__(out self, spec: I64Ptr) raises:
        self.threads = Int(spec[unsafe_offset=0])
        self.channels = Int(spec[unsafe_offset=1])
        self.frames = Int(spec[unsafe_offset=2])
        self.s = Int(spec[unsafe_offset=3])
        if self.s % 4 != 0:
            raise Error(t"style spec: a style dimension of {self.s}, not a multiple of 4")
        self.layers = List[PackedLayer]()
        for i in range(CONVS + 4 * SITES):
            self.layers.append(PackedLayer.read(Int(spec[unsafe_offset=HEADER + i])))
        var t = self.frames
        var c = self.channels
        for i in range(CONVS):
            var n_in = self.layers[i].n_in
            var n_out = self.layers[i].n_out
            if n_out != self.s or n_in % c != 0:
                raise Error(t"style spec: convolution {i} is {n_in} -> {n_out}, which does not take {c} channels "
                            t"to {self.s}")
            t -= n_in // c - 1
            c = self.s
        if t < 1:
            raise Error(t"style spec: {self.frames} frames leave no token after the convolutions")
        self.tokens = t
        var s = self.s
        for site in range(SITES):
            var expect = [s, s, s, 2 * s, s, s, s, s]
            for j in range(4):
                var n_in = self.layers[CONVS + 4 * site + j].n_in
                var n_out = self.layers[CONVS + 4 * site + j].n_out
                if n_in != expect[2 * j] or n_out != expect[2 * j + 1]:
                    raise Error(t"style spec: site {site} layer {j} is {n_in} -> {n_out}, the network needs "
                                t"{expect[2 * j]} -> {expect[2 * j + 1]}")

    def scratch_floats(self) -> Int:
        """Floats of scratch one thread needs: two frame buffers, the normalised tokens, the pooled tokens and a
        site's affine outputs."""
        return 3 * self.frames * max(self.channels, self.s) + 4 * self.s

    def macs(self) -> Int:
        """Multiply-adds of one sequence's large layers."""
        var t = self.frames
        var c = self.channels
        var total = 0
        for i in range(CONVS):
            t -= self.layers[i].n_in // c - 1
            total += t * self.layers[i].n_in * self.s
            c = self.s
        return total + 2 * SITES * self.tokens * self.s * self.s


@fieldwise_init
struct Team(Copyable, Movable):
    """A thread's place in a team (`team` == 0: none, the thread works alone with up to `threads` per layer)."""

    var team: Int
    var member: Int
    var threads: Int


def _team_layer(team: Team, stage: Int) -> I64Ptr:
    """Opens shared layer `stage` (gemm.team_open) and returns its claim counter (its done counter follows)."""
    var counters = I64Ptr(unsafe_from_address=team.team)
    team_open(counters, team.member, stage)
    return counters.unsafe_offset(1 + 2 * stage)


def _statistics(tokens: F32Ptr, t: Int, s: Int, eps: Float32, normed: F32Ptr, pooled: F32Ptr):
    """normed = (tokens - mean) / sqrt(var + eps) over all t x s values, pooled = each channel's mean over the t
    frames; sums in float64, four channels at a time (s is a multiple of 4: the encoder's widths)."""
    var mean = Float64(0)
    for j in range(0, s, 4):
        var acc = SIMD[DType.float64, 4](0)
        for f in range(t):
            acc += tokens.unsafe_load[width=4](f * s + j).cast[DType.float64]()
        (pooled.unsafe_offset(j)).unsafe_store(0, (acc / Float64(t)).cast[DType.float32]())
        mean += acc.reduce_add()
    mean /= Float64(t * s)
    var squares = SIMD[DType.float64, 4](0)
    for i in range(0, t * s, 4):
        var d = tokens.unsafe_load[width=4](i).cast[DType.float64]() - mean
        squares += d * d
    var m32 = Float32(mean)
    var denom = sqrt(Float32(squares.reduce_add() / Float64(t * s)) + eps)
    for i in range(0, t * s, 4):
        normed.unsafe_store(i, (tokens.unsafe_load[width=4](i) - m32) / denom)


def _encode(m: Style, x: F32Ptr, outputs: I64Ptr, item: Int, scratch: F32Ptr, eps: Float32, team: Team):
    """Sequence `item` of x (batch, frames, channels) through the encoder; outputs: their addresses, per site
    gamma (B, S), beta (B, S), keys (B, T', S), values (B, T', S). In a team both members run this on the same
    scratch; the leader alone does what is not a shared layer."""
    var s = m.s
    var big = m.frames * max(m.channels, s)
    var normed = scratch.unsafe_offset(2 * big)
    var pooled = normed.unsafe_offset(big)
    var hidden = pooled.unsafe_offset(s)
    var gamma_beta = hidden.unsafe_offset(s)
    var src = x.unsafe_offset(item * m.frames * m.channels)
    var t = m.frames
    var c = m.channels
    var leader = team.member == 0
    for i in range(CONVS):
        var t_out = t - m.layers[i].n_in // c + 1
        var dst = scratch.unsafe_offset((i % 2) * big)
        if team.team == 0:
            m.layers[i].frames(src, c, t, t_out, 1, dst, ACT_RELU, team.threads)
        else:
            var claim = _team_layer(team, i)
            m.layers[i].frames_claimed(src, c, t, t_out, dst, ACT_RELU, claim, claim.unsafe_offset(1))
            team_wait(claim.unsafe_offset(1), team.member, m.layers[i].work_items(t_out))
        src = dst
        t = t_out
        c = s
    var tokens = src  # (T', S)
    var n = t * s
    if leader:
        _statistics(tokens, t, s, eps, normed, pooled)
    for site in range(SITES):
        var first = CONVS + 4 * site
        var gamma = F32Ptr(unsafe_from_address=Int(outputs[unsafe_offset=4 * site])).unsafe_offset(item * s)
        var beta = F32Ptr(unsafe_from_address=Int(outputs[unsafe_offset=4 * site + 1])).unsafe_offset(item * s)
        var keys = F32Ptr(unsafe_from_address=Int(outputs[unsafe_offset=4 * site + 2])).unsafe_offset(item * n)
        var values = F32Ptr(unsafe_from_address=Int(outputs[unsafe_offset=4 * site + 3])).unsafe_offset(item * n)
        if leader:  # one row each: the leader alone
            m.layers[first].apply(pooled, s, 1, hidden, s, ACT_ELU, 1)
            m.layers[first + 1].apply(hidden, s, 1, gamma_beta, 2 * s, ACT_NONE, 1)
            for j in range(s):
                gamma[unsafe_offset=j] = gamma_beta[unsafe_offset=j]
                beta[unsafe_offset=j] = gamma_beta[unsafe_offset=s + j]
        for j in range(2):
            var layer = first + 2 + j
            var rows_in = normed if j == 0 else tokens
            var rows_out = keys if j == 0 else values
            if team.team == 0:
                m.layers[layer].apply(rows_in, s, t, rows_out, s, ACT_NONE, team.threads)
            else:
                var claim = _team_layer(team, CONVS + 2 * site + j)
                m.layers[layer].apply_claimed(rows_in, s, t, rows_out, s, ACT_NONE, claim, claim.unsafe_offset(1))
                team_wait(claim.unsafe_offset(1), team.member, m.layers[layer].work_items(t))


def style_encode(spec: I64Ptr, x: F32Ptr, outputs: I64Ptr, batch: Int, scratch: F32Ptr, eps: Float32) raises:
    """features x (batch, frames, channels) channels-last float32 -> the eight style tensors at `outputs` (see
    _encode), scratch of style_scratch_floats(spec) floats per thread (two threads' worth). One sequence on two
    threads runs as a team; a batch worth both threads is split into a share of sequences per thread.

    spec (int64): [threads, channels, frames, style dim, the four convolutions' PackedDense descriptor addresses
    (im2col: inputs (k, channels), ReLU), then per site (embedding_style, phase_predictor) affine2 (ELU), affine4,
    g, h]."""
    var m = Style(spec)
    var shares = row_shares(batch, m.threads, m.macs())
    if shares >= 2:
        var encoder = Pointer(to=m)
        var per = m.scratch_floats()

        def work(i: Int) {var encoder, var x, var outputs, var batch, var scratch, var eps, var shares, var per}:
            var first, end = share_rows(i, shares, batch)
            for item in range(first, end):
                _encode(encoder[], x, outputs, item, scratch.unsafe_offset(i * per), eps, Team(0, 0, 1))

        parallelize(work, shares, shares)
        return
    if batch == 1 and m.threads >= 2:
        var counters = style_team_counters()
        var team = Int(counters.unsafe_ptr())
        var encoder = Pointer(to=m)

        def member(i: Int) {var encoder, var x, var outputs, var scratch, var eps, var team}:
            _encode(encoder[], x, outputs, 0, scratch, eps, Team(team, i, 1))

        parallelize(member, 2, 2)
        _ = counters^
        return
    for item in range(batch):
        _encode(m, x, outputs, item, scratch, eps, Team(0, 0, m.threads))


def style_scratch_floats(spec: I64Ptr) raises -> Int:
    """Floats of scratch style_encode needs: two threads' worth."""
    return 2 * Style(spec).scratch_floats()
