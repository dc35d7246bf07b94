"""The RSMT sampler (TransitionNet_phase, inference/networks/transitionnet.py) as one Mojo function per
frame and per whole transition, for one transition or a batch of them.

Why: at batch 1 a sampler step is about 20 matrix-vector products and 40 small vector operations. PyTorch
pays its per-op dispatch on every one of them (~3 ms per lite step here), MAX its ~25 us per `execute`,
and both leave the weights in torch's row layout. Here every dense layer is packed once into panels
(dense.mojo) and streamed once per frame, every intermediate lives in one scratch arena, and a whole
transition is one call from Python. A batch of rows (many transitions: baking) runs every dense layer as
one GEMM over the rows (gemm.mojo), each weight panel streamed once per four rows; the small per-row work
(norms, attention over the style tokens, phase update, expert blend) loops over the rows in between. Every
method works on a `Span` of the rows: the Python extension splits a multi-threaded batch into one span per
thread, each running whole steps on its own (one hand-off per call instead of one per GEMM, and the per-row
work in parallel too: a batch-64 step took 6.2 ms on one thread and 3.9 on two; a row's arithmetic does not depend on
the split, so the outputs are bit-identical). A whole rollout of one row on several threads is run by a team
of two (Span): the leader does the per-row work, both take the dense layers' work items as they come (30 steps:
5.2 -> 3.8 ms).

`warmup` is a transition's warm-up on its context frames in one call: their LSTM inputs as one batch, then only
the recurrent part frame by frame (a full step per frame streamed all the weights 8 times for h and c alone).

The maths follows TransitionSampler.step / lstm_input (see there for the official-code references):
state, offset and style embedding (AdaIN + attention over the style tokens) -> LSTMCell -> phase
predictor (AdaIN + attention) -> phase update (rotate by 2 pi F dt, scale by A, halfway slerp with the
predicted phase) -> mixture-of-experts decoder -> next pose. The experts are applied one after another
and their outputs blended (sum_e a_e (W_e x + b_e)), as the torch reference does.

The layer table comes from inference/mojo_sampler.py as an int64 `spec`, read here in the order it was
written (SpecReader) and closed by a sentinel, so a layout mismatch raises instead of reading garbage.
"""
from std.collections import List
from std.math import cos, exp, sin, sqrt, tanh

from kernels.dense import ACT_ELU, ACT_NONE, dot1, softmax_into
from kernels.gemm import ACT_PLU, PANEL, PackedLayer, blend_experts, elu, team_open, team_wait
from kernels.pointers import F32Ptr, I64Ptr

comptime SPEC_BEGIN = 0x52534D54  # "RSMT"
comptime SPEC_END = 0x454E4421  # "END!"
comptime PI = 3.14159265358979323846
comptime EPS32 = Float32(1.1920928955078125e-07)  # torch.finfo(float32).eps

# dense layers, in spec order
comptime STATE0 = 0
comptime STATE1 = 1
comptime OFFSET0 = 2
comptime OFFSET1 = 3
comptime EMB_LINEAR = 4
comptime EMB_ATN_F = 5
comptime EMB_ATN_K = 6
comptime LSTM_X = 7  # W_ih on x, bias b_ih + b_hh
comptime LSTM_H = 8  # W_hh on h, added to LSTM_X's outputs (no bias): the two make LSTMCell's gates
comptime PRED0 = 9
comptime PRED1 = 10
comptime PRED_ATN_F = 11
comptime PRED_ATN_K = 12
comptime PRED2 = 13
comptime PRED_MLP = 14
comptime GATE0 = 15
comptime GATE1 = 16
comptime GATE2 = 17
comptime EXPERT0 = 18  # the E experts stacked along the outputs: (E * Out, In)
comptime EXPERT1 = 19
comptime EXPERT_MLP = 20
comptime N_DENSE = 21


@fieldwise_init
struct Span(Copyable, Movable):
    """Rows first .. end - 1 of a batch (the scratch rows of the same indices), whose dense layers may use up
    to `threads` threads. A batch split over threads gives each thread a span of its own and 1 thread.

    A team (`team` != 0: the address of its int64 counters, `team_counters`) is two threads on one transition,
    sharing every dense layer's work items (gemm_claimed) over its first `team_rows` rows: member 0, the leader,
    runs everything else (its span is those rows); member 1's span is empty, so it only joins the dense layers,
    each once the leader has opened it."""

    var first: Int
    var end: Int
    var threads: Int
    var team: Int
    var member: Int
    var team_rows: Int


comptime TEAM_OPEN = 0  # the dense layers the leader has opened (its inputs are ready)
comptime TEAM_STAGE = 1  # + member: the dense layers that member has reached
comptime TEAM_SLOTS = 8  # then a (claimed, done) pair of counters per dense layer call


def team_counters(steps: Int) -> List[Int64]:
    """Zeroed counters of a team for `steps` sampler steps (N_DENSE dense layer calls each)."""
    return List[Int64](length=TEAM_SLOTS + 2 * N_DENSE * max(steps, 1), fill=0)


@fieldwise_init
struct Rows(Copyable, Movable):
    """Row r of a (rows, ...) float32 array at ptr + (r // group) * stride (floats): `group` > 1 gives each
    group of that many consecutive rows one array row (a transition's target and style code for each of its
    warm-up frames)."""

    var ptr: F32Ptr
    var stride: Int
    var group: Int

    @always_inline
    def at(self, r: Int) -> F32Ptr:
        return self.ptr.unsafe_offset((r // self.group) * self.stride)


struct SpecReader:
    var spec: I64Ptr
    var at: Int

    def __init__(out self, spec: I64Ptr):
        self.spec = spec
        self.at = 0

    def int(mut self) -> Int:
        var v = Int(self.spec[unsafe_offset=self.at])
        self.at += 1
        return v

    def ptr(mut self) -> F32Ptr:
        return F32Ptr(unsafe_from_address=self.int())

    def dense(mut self) -> PackedLayer:
        var n_in = self.int()
        var n_out = self.int()
        var n_panels = self.int()
        var w = self.ptr()
        return PackedLayer(n_in, n_out, PANEL, n_panels, w, self.ptr())


@always_inline
def _padded(n: Int) -> Int:
    return PANEL * ((n + PANEL - 1) // PANEL)


def _take(mut at: Int, n: Int) -> F32Ptr:
    """A scratch buffer of n floats (padded to whole panels) at address `at`, which moves past it."""
    var p = F32Ptr(unsafe_from_address=at)
    at += 4 * _padded(n)
    return p


@always_inline
def _sigmoid[W: Int](v: SIMD[DType.float32, W]) -> SIMD[DType.float32, W]:
    return 1.0 / (1.0 + exp(-v))


def _lstm_cell(g: F32Ptr, c: F32Ptr, c_out: F32Ptr, h_out: F32Ptr, units: Int):
    """LSTMCell's update from its gate pre-activations g = [i | f | g | o] (torch's order), vectorised over the
    units: c' = sigmoid(f) c + sigmoid(i) tanh(g), h' = sigmoid(o) tanh(c'). c_out may be c."""
    comptime W = 16
    var u = 0
    while u + W <= units:
        var c_new = _sigmoid[W](g.unsafe_load[width=W](units + u)) * c.unsafe_load[width=W](u) + _sigmoid[W](
            g.unsafe_load[width=W](u)) * tanh(g.unsafe_load[width=W](2 * units + u))
        c_out.unsafe_store(u, c_new)
        h_out.unsafe_store(u, _sigmoid[W](g.unsafe_load[width=W](3 * units + u)) * tanh(c_new))
        u += W
    while u < units:
        var c_new = _sigmoid[1](g[unsafe_offset=units + u]) * c[unsafe_offset=u] + _sigmoid[1](
            g[unsafe_offset=u]) * tanh(g[unsafe_offset=2 * units + u])
        c_out[unsafe_offset=u] = c_new
        h_out[unsafe_offset=u] = _sigmoid[1](g[unsafe_offset=3 * units + u]) * tanh(c_new)
        u += 1


def _copy(src: F32Ptr, dst: F32Ptr, n: Int):
    for i in range(n):
        dst[unsafe_offset=i] = src[unsafe_offset=i]


def _elu_inplace(x: F32Ptr, n: Int):
    comptime W = 16
    var i = 0
    while i + W <= n:
        x.unsafe_store(i, elu[W](x.unsafe_load[width=W](i)))
        i += W
    while i < n:
        x[unsafe_offset=i] = elu[1](x[unsafe_offset=i])
        i += 1


def _row_norm(x: F32Ptr, y: F32Ptr, n: Int):
    """Y = (x - mean) / sqrt(var + 1e-5), biased variance (InstanceNorm1d on one row, no affine)."""
    var mean = Float32(0)
    for i in range(n):
        mean += x[unsafe_offset=i]
    mean /= Float32(n)
    var var_ = Float32(0)
    for i in range(n):
        var d = x[unsafe_offset=i] - mean
        var_ += d * d
    var inv = 1.0 / sqrt(var_ / Float32(n) + 1e-5)
    for i in range(n):
        y[unsafe_offset=i] = (x[unsafe_offset=i] - mean) * inv


def _adain_elu(x: F32Ptr, n: Int, gamma: F32Ptr, beta: F32Ptr):
    """X = ELU((1 + gamma) row_norm(x) + beta), in place."""
    _row_norm(x, x, n)
    comptime W = 16
    var i = 0
    while i + W <= n:
        x.unsafe_store(i, elu[W]((1.0 + gamma.unsafe_load[width=W](i)) * x.unsafe_load[width=W](i)
                                  + beta.unsafe_load[width=W](i)))
        i += W
    while i < n:
        x[unsafe_offset=i] = elu[1]((1.0 + gamma[unsafe_offset=i]) * x[unsafe_offset=i] + beta[unsafe_offset=i])
        i += 1


struct Sampler:
    """The dims, layers and scratch buffers of one sampler; `step` is one generated (or warm-up) frame of a
    batch of rows (each scratch buffer holds a row per batch row, `ws` floats apart)."""

    var n_pos: Int
    var joints: Int
    var phases: Int
    var latent: Int
    var experts: Int
    var rnn: Int
    var style: Int
    var state_out: Int
    var tokens: Int
    var max_tta: Int
    var pose_out: Int  # decoder output: 3 n_pos + 6 J
    var dt: Float32
    var plu: F32Ptr  # state encoder w0 c0 w1 c1, offset encoder w0 c0 w1 c1
    var pe_small: F32Ptr  # (max_tta + 1, state_out)
    var pe_style: F32Ptr  # (max_tta + 1, style)
    var layers: List[PackedLayer]
    # scratch: `rows` rows of `ws` floats each
    var enc_in: F32Ptr
    var hidden: F32Ptr
    var state: F32Ptr
    var offset: F32Ptr
    var emb: F32Ptr
    var normed: F32Ptr
    var query: F32Ptr
    var scores: F32Ptr
    var context: F32Ptr
    var lstm_in: F32Ptr  # [x = (state + pe_style | h_target) | h]
    var gates: F32Ptr
    var pred_in: F32Ptr  # [h' | last phase | h_target]
    var pred_a: F32Ptr
    var pred_b: F32Ptr
    var pred_out: F32Ptr
    var dec_in: F32Ptr
    var gate: F32Ptr
    var alpha: F32Ptr
    var experts_out: F32Ptr
    var dec_h: F32Ptr
    var pose_delta: F32Ptr
    var scratch_floats: Int
    var ws: Int  # floats from one row of a scratch buffer to the next

    def __init__(out self, spec: I64Ptr, scratch_addr: Int, rows: Int) raises:
        """Read the spec; carve a scratch arena for `rows` rows from scratch_addr (0: only count
        scratch_floats)."""
        var r = SpecReader(spec)
        if r.int() != SPEC_BEGIN:
            raise Error("sampler spec: bad header (not written by inference/mojo_sampler.py?)")
        self.n_pos = r.int()
        self.joints = r.int()
        self.phases = r.int()
        self.latent = r.int()
        self.experts = r.int()
        self.rnn = r.int()
        self.style = r.int()
        self.state_out = r.int()
        self.tokens = r.int()
        self.max_tta = r.int()
        self.pose_out = 3 * self.n_pos + 6 * self.joints
        self.plu = r.ptr()
        self.dt = self.plu[unsafe_offset=8]
        self.pe_small = r.ptr()
        self.pe_style = r.ptr()
        self.layers = List[PackedLayer]()
        for _ in range(N_DENSE):
            self.layers.append(r.dense())
        if r.int() != SPEC_END:
            raise Error("sampler spec: layout mismatch between inference/mojo_sampler.py and sampler.mojo")

        var at = scratch_addr
        var widest = 0
        for i in range(N_DENSE):
            widest = max(widest, max(_padded(self.layers[i].n_out), _padded(self.layers[i].n_in)))
        widest = max(widest, _padded(self.tokens))
        self.ws = widest
        var size = rows * widest
        self.enc_in = _take(at, size)
        self.hidden = _take(at, size)
        self.state = _take(at, size)
        self.offset = _take(at, size)
        self.emb = _take(at, size)
        self.normed = _take(at, size)
        self.query = _take(at, size)
        self.scores = _take(at, size)
        self.context = _take(at, size)
        self.lstm_in = _take(at, size)
        self.gates = _take(at, size)
        self.pred_in = _take(at, size)
        self.pred_a = _take(at, size)
        self.pred_b = _take(at, size)
        self.pred_out = _take(at, size)
        self.dec_in = _take(at, size)
        self.gate = _take(at, size)
        self.alpha = _take(at, size)
        self.experts_out = _take(at, size)
        self.dec_h = _take(at, size)
        self.pose_delta = _take(at, size)
        self.scratch_floats = (at - scratch_addr) // 4
        self._check()

    def _check(self) raises:
        """The layer sizes must chain as the network does (a wrong spec fails here, not as a crash)."""
        var n = self.n_pos
        var j = self.joints
        var p = self.phases
        var z = self.latent
        var so = self.state_out
        var s = self.style
        var rnn = self.rnn
        var e = self.experts
        var hid = self.layers[STATE0].n_out
        var v = self.layers[EXPERT1].n_out // max(e, 1)
        var expect: List[Int] = [
            6 * n + 6 * j, hid, hid, so,  # state encoder
            3 * n + 6 * j, hid, hid, so,  # offset encoder
            so, s, s, s, s, s,  # style embedding: linear, attention f, k
            s + 2 * so, 4 * rnn, rnn, 4 * rnn,  # LSTM: W_ih (x -> gates), W_hh (h -> gates)
            rnn + 2 * p + 2 * so, rnn, rnn, s, s, s, s, s, s, s, s, 4 * p + 9 + z,  # phase predictor
            2 * p + z, self.layers[GATE0].n_out, self.layers[GATE0].n_out, self.layers[GATE0].n_out,
            self.layers[GATE0].n_out, e,  # gate
            6 * n + 6 * j + 9 + z, e * v, v + z, e * v, v, e * self.pose_out,  # experts
        ]
        var got = List[Int]()
        for i in range(N_DENSE):
            got.append(self.layers[i].n_in)
            got.append(self.layers[i].n_out)
        for i in range(len(expect)):
            if expect[i] != got[i]:
                var what = "inputs" if i % 2 == 0 else "outputs"
                raise Error(t"sampler spec: dense layer {i // 2} has {got[i]} {what}, the network needs {expect[i]}")

    @always_inline
    def row(self, buffer: F32Ptr, r: Int) -> F32Ptr:
        """Row r of a scratch buffer."""
        return buffer.unsafe_offset(r * self.ws)

    def _dense(self, layer: Int, x: F32Ptr, y: F32Ptr, act: Int, rows: Span, plu_w: Float32 = 1, plu_c: Float32 = 0):
        """Scratch rows x -> scratch rows y through dense layer `layer` (with a team: see Span)."""
        self._dense_rows(layer, x, self.ws, y, self.ws, act, rows, False, plu_w, plu_c)

    def _dense_rows(self, layer: Int, x: F32Ptr, ldx: Int, y: F32Ptr, ldy: Int, act: Int, rows: Span,
                    accumulate: Bool, plu_w: Float32 = 1, plu_c: Float32 = 0):
        """Rows x[r * ldx :] -> y[r * ldy :] (r in the span) through dense layer `layer`; with `accumulate` added
        to what y holds (gemm.mojo)."""
        if rows.team == 0:
            self.layers[layer].apply(x.unsafe_offset(rows.first * ldx), ldx, rows.end - rows.first,
                                     y.unsafe_offset(rows.first * ldy), ldy, act, rows.threads, plu_w, plu_c,
                                     accumulate)
            return
        var team = I64Ptr(unsafe_from_address=rows.team)
        var stage = Int(team[unsafe_offset=TEAM_STAGE + rows.member])  # this member's own counter
        team[unsafe_offset=TEAM_STAGE + rows.member] = Int64(stage + 1)
        team_open(team.unsafe_offset(TEAM_OPEN), rows.member, stage)
        var n = rows.team_rows
        var claim = team.unsafe_offset(TEAM_SLOTS + 2 * stage)
        var done = claim.unsafe_offset(1)
        self.layers[layer].apply_claimed(x, ldx, n, y, ldy, act, claim, done, plu_w, plu_c, accumulate)
        team_wait(done, rows.member, self.layers[layer].work_items(n))

    def _attention(self, x: F32Ptr, n: Int, f: Int, k: Int, keys: Rows, values: Rows, rows: Span):
        """ATNBlock in place on scratch rows x: x += k(softmax_t(keys[t] . f(row_norm(x)) / sqrt(S)) values)."""
        var s = self.style
        for r in range(rows.first, rows.end):
            _row_norm(self.row(x, r), self.row(self.normed, r), n)
        self._dense(f, self.normed, self.query, ACT_NONE, rows)
        var scale = 1.0 / sqrt(Float32(s))
        for r in range(rows.first, rows.end):
            var scores = self.row(self.scores, r)
            var query = self.row(self.query, r)
            var context = self.row(self.context, r)
            var kr = keys.at(r)
            var vr = values.at(r)
            for t in range(self.tokens):
                scores[unsafe_offset=t] = dot1(kr.unsafe_offset(t * s), query, s) * scale
            softmax_into(scores, scores, self.tokens)
            _weighted_sum(scores, vr, self.tokens, s, context)
        self._dense(k, self.context, self.query, ACT_NONE, rows)
        for r in range(rows.first, rows.end):
            var xr = self.row(x, r)
            var qr = self.row(self.query, r)
            for i in range(n):
                xr[unsafe_offset=i] += qr[unsafe_offset=i]

    def _encode(self, first: Int, w0: Float32, c0: Float32, w1: Float32, c1: Float32, dst: F32Ptr, rows: Span):
        """StateEncoder on every row: PLU(L1(PLU(L0(enc_in))))."""
        self._dense(first, self.enc_in, self.hidden, ACT_PLU, rows, w0, c0)
        self._dense(first + 1, self.hidden, dst, ACT_PLU, rows, w1, c1)

    def lstm_input(self, rows: Span, pos: Rows, vel: Rows, rot: Rows, target_pos: Rows, target_rot: Rows,
                   target_latent: Rows, emb_gamma: Rows, emb_beta: Rows, emb_keys: Rows, emb_values: Rows, tta: Rows,
                   noise: Rows):
        """TransitionSampler.lstm_input for the span's rows: x = [state + pe_style | h_target] at lstm_in[0 : S + 2 SO]
        of each row (h_target at lstm_in[S : S + 2 SO])."""
        var n = self.n_pos
        var j = self.joints
        var so = self.state_out
        var s = self.style
        # state encoder input: [pos - hip | vel | 6D]
        for r in range(rows.first, rows.end):
            var e = self.row(self.enc_in, r)
            var p = pos.at(r)
            for i in range(n):
                for a in range(3):
                    e[unsafe_offset=3 * i + a] = p[unsafe_offset=3 * i + a] - p[unsafe_offset=a]
            _copy(vel.at(r), e.unsafe_offset(3 * n), 3 * n)
            _copy(rot.at(r), e.unsafe_offset(6 * n), 6 * j)
        self._encode(STATE0, self.plu[unsafe_offset=0], self.plu[unsafe_offset=1], self.plu[unsafe_offset=2],
                     self.plu[unsafe_offset=3], self.state, rows)
        # offset encoder input: [target pos - pos | target 6D - 6D]
        for r in range(rows.first, rows.end):
            var e = self.row(self.enc_in, r)
            var p = pos.at(r)
            var tp = target_pos.at(r)
            var q = rot.at(r)
            var tq = target_rot.at(r)
            for i in range(3 * n):
                e[unsafe_offset=i] = tp[unsafe_offset=i] - p[unsafe_offset=i]
            for i in range(6 * j):
                e[unsafe_offset=3 * n + i] = tq[unsafe_offset=i] - q[unsafe_offset=i]
        self._encode(OFFSET0, self.plu[unsafe_offset=4], self.plu[unsafe_offset=5], self.plu[unsafe_offset=6],
                     self.plu[unsafe_offset=7], self.offset, rows)
        # style embedding: ELU(ATN(ELU(AdaIN(linear(state)))))
        self._dense(EMB_LINEAR, self.state, self.emb, ACT_NONE, rows)
        for r in range(rows.first, rows.end):
            _adain_elu(self.row(self.emb, r), s, emb_gamma.at(r), emb_beta.at(r))
        self._attention(self.emb, s, EMB_ATN_F, EMB_ATN_K, emb_keys, emb_values, rows)
        for r in range(rows.first, rows.end):
            _elu_inplace(self.row(self.emb, r), s)
        # time-to-arrival encodings and target noise (TransitionNet.concat)
        for r in range(rows.first, rows.end):
            var t_long = Int(tta.at(r)[unsafe_offset=0])  # tta.long(): truncation
            var t = min(max(t_long, 0), self.max_tta)
            var noise_weight = min(max((Float32(t_long) - 5.0) / 25.0, 0.0), 1.0)
            var pe = self.pe_small.unsafe_offset(t * so)
            var pe_s = self.pe_style.unsafe_offset(t * s)
            var li = self.row(self.lstm_in, r)
            var em = self.row(self.emb, r)
            var off = self.row(self.offset, r)
            var tl = target_latent.at(r)
            var nz = noise.at(r)
            for i in range(s):
                li[unsafe_offset=i] = em[unsafe_offset=i] + pe_s[unsafe_offset=i]
            for i in range(so):
                li[unsafe_offset=s + i] = off[unsafe_offset=i] + pe[unsafe_offset=i] + noise_weight * nz[unsafe_offset=i]
                li[unsafe_offset=s + so + i] = tl[unsafe_offset=i] + pe[unsafe_offset=i] + noise_weight * nz[unsafe_offset=so + i]

    def lstm(self, rows: Span, pos: Rows, vel: Rows, rot: Rows, h: Rows, c: Rows, target_pos: Rows, target_rot: Rows,
             target_latent: Rows, emb_gamma: Rows, emb_beta: Rows, emb_keys: Rows, emb_values: Rows, tta: Rows,
             noise: Rows, h_out: Rows, c_out: Rows):
        """Lstm_input + LSTMCell for the span's rows; leaves each row's h_target at lstm_in[S : S + 2 SO]."""
        self.lstm_input(rows.copy(), pos, vel, rot, target_pos, target_rot, target_latent, emb_gamma, emb_beta,
                        emb_keys, emb_values, tta, noise)
        # LSTMCell, gates in torch's order (i, f, g, o): W_ih x + b, then + W_hh h
        self._dense(LSTM_X, self.lstm_in, self.gates, ACT_NONE, rows.copy())
        self._dense_rows(LSTM_H, h.ptr, h.stride, self.gates, self.ws, ACT_NONE, rows.copy(), True)
        for r in range(rows.first, rows.end):
            _lstm_cell(self.row(self.gates, r), c.at(r), c_out.at(r), h_out.at(r), self.rnn)

    def warmup(self, rows: Span, frames: Int, pos: Rows, vel: Rows, rot: Rows, target_pos: Rows, target_rot: Rows,
               target_latent: Rows, emb_gamma: Rows, emb_beta: Rows, emb_keys: Rows, emb_values: Rows, tta: Rows,
               noise: Rows, h_out: Rows, c_out: Rows):
        """The LSTM state after the warm-up on `frames` context frames (TransitionSampler.context_step, from zero
        h and c) of the span's transitions. Transition n's frame t is row n * frames + t of pos, vel, rot and tta
        and of the scratch (the sampler sized for transitions x frames rows); the other inputs have a row per
        transition (Rows.group = frames). A frame's LSTM input does not depend on the recurrent state, so every
        frame's lstm_input and W_ih x run as one batch (each weight streamed once for all of them, not once per
        frame); only W_hh h and the cell run frame after frame. A team (one transition) shares the batched layers
        over its `frames` rows, and W_hh h."""
        var f = frames
        var frame_rows = Span(rows.first * f, rows.end * f, rows.threads, rows.team, rows.member, rows.team_rows * f)
        self.lstm_input(frame_rows.copy(), pos, vel, rot, target_pos, target_rot, target_latent, emb_gamma, emb_beta,
                        emb_keys, emb_values, tta, noise)
        self._dense(LSTM_X, self.lstm_in, self.gates, ACT_NONE, frame_rows.copy())
        for r in range(rows.first, rows.end):
            for i in range(self.rnn):
                h_out.at(r)[unsafe_offset=i] = 0
                c_out.at(r)[unsafe_offset=i] = 0
        for t in range(f):
            var gates = self.row(self.gates, t)  # frame t of transition n: + n * f rows
            if t > 0:  # h is zero before the first frame
                self._dense_rows(LSTM_H, h_out.ptr, h_out.stride, gates, f * self.ws, ACT_NONE, rows.copy(), True)
            for r in range(rows.first, rows.end):
                _lstm_cell(gates.unsafe_offset(r * f * self.ws), c_out.at(r), c_out.at(r), h_out.at(r), self.rnn)

    def step(self, rows: Span, pos: Rows, vel: Rows, rot: Rows, phase: Rows, h: Rows, c: Rows, target_pos: Rows,
             target_rot: Rows, target_latent: Rows, emb_gamma: Rows, emb_beta: Rows, emb_keys: Rows,
             emb_values: Rows, pred_gamma: Rows, pred_beta: Rows, pred_keys: Rows, pred_values: Rows, tta: Rows,
             noise: Rows, pos_out: Rows, vel_out: Rows, rot_out: Rows, phase_out: Rows, h_out: Rows, c_out: Rows,
             pred_phase_out: Rows, amp_out: Rows, freq_out: Rows):
        """One generated frame (TransitionSampler.step) of the span's independent rows, every dense layer one
        GEMM over them. h_out and c_out may be h and c (both are read before they are written); no other
        output may alias an input."""
        var n = self.n_pos
        var j = self.joints
        var p = self.phases
        var z = self.latent
        var so = self.state_out
        var s = self.style
        var rnn = self.rnn
        self.lstm(rows, pos, vel, rot, h, c, target_pos, target_rot, target_latent, emb_gamma, emb_beta, emb_keys,
                  emb_values, tta, noise, h_out, c_out)
        # phase predictor: [h' | last phase | h_target] -> ELU -> 512 -> AdaIN, ELU, ATN -> ELU -> ELU -> out
        for r in range(rows.first, rows.end):
            var pi = self.row(self.pred_in, r)
            _copy(h_out.at(r), pi, rnn)
            _copy(phase.at(r), pi.unsafe_offset(rnn), 2 * p)
            _copy(self.row(self.lstm_in, r).unsafe_offset(s), pi.unsafe_offset(rnn + 2 * p), 2 * so)
        self._dense(PRED0, self.pred_in, self.pred_a, ACT_ELU, rows)
        self._dense(PRED1, self.pred_a, self.pred_b, ACT_NONE, rows)
        for r in range(rows.first, rows.end):
            _adain_elu(self.row(self.pred_b, r), s, pred_gamma.at(r), pred_beta.at(r))
        self._attention(self.pred_b, s, PRED_ATN_F, PRED_ATN_K, pred_keys, pred_values, rows)
        for r in range(rows.first, rows.end):
            _elu_inplace(self.row(self.pred_b, r), s)
        self._dense(PRED2, self.pred_b, self.pred_a, ACT_ELU, rows)
        self._dense(PRED_MLP, self.pred_a, self.pred_out, ACT_NONE, rows)
        var cond_size = 6 * n + 6 * j + 9
        for r in range(rows.first, rows.end):
            var head = self.row(self.pred_out, r)
            var hip_vel = head.unsafe_offset(4 * p)
            var hip_rot_delta = head.unsafe_offset(4 * p + 3)
            var latent = head.unsafe_offset(4 * p + 9)
            var last = phase.at(r)
            var pred_phase = pred_phase_out.at(r)
            var amp_r = amp_out.at(r)
            var freq_r = freq_out.at(r)
            var phase_r = phase_out.at(r)
            _copy(head, pred_phase, 2 * p)
            _copy(head.unsafe_offset(2 * p), amp_r, p)
            _copy(head.unsafe_offset(3 * p), freq_r, p)
            # phase update: rotate the unit last phase by 2 pi F dt, scale by A, halfway slerp with the prediction
            for k in range(p):
                var x = last[unsafe_offset=2 * k]
                var y = last[unsafe_offset=2 * k + 1]
                var norm = max(sqrt(x * x + y * y), EPS32)
                x /= norm
                y /= norm
                var theta = Float32(2.0 * PI) * freq_r[unsafe_offset=k] * self.dt
                var ct = cos(theta)
                var st = sin(theta)
                var amp = amp_r[unsafe_offset=k]
                var x0 = amp * (x * ct - y * st)
                var y0 = amp * (x * st + y * ct)
                var x1 = pred_phase[unsafe_offset=2 * k]
                var y1 = pred_phase[unsafe_offset=2 * k + 1]
                var a0 = _safe(sqrt(x0 * x0 + y0 * y0))
                var a1 = _safe(sqrt(x1 * x1 + y1 * y1))
                var mx = 0.5 * (x0 / a0 + x1 / a1)
                var my = 0.5 * (y0 / a0 + y1 / a1)
                var m = _safe(sqrt(mx * mx + my * my))
                var scale = 0.5 * (a0 + a1) / m
                phase_r[unsafe_offset=2 * k] = mx * scale
                phase_r[unsafe_offset=2 * k + 1] = my * scale
            # decoder condition [pos - hip | vel | hip vel | 6D | hip 6D | z] and the next hip rotation
            var cond = self.row(self.dec_in, r)
            var pr = pos.at(r)
            var qr = rot.at(r)
            var ro = rot_out.at(r)
            for i in range(n):
                for a in range(3):
                    cond[unsafe_offset=3 * i + a] = pr[unsafe_offset=3 * i + a] - pr[unsafe_offset=a]
            _copy(vel.at(r), cond.unsafe_offset(3 * n), 3 * n)
            _copy(hip_vel, cond.unsafe_offset(6 * n), 3)
            _copy(qr, cond.unsafe_offset(6 * n + 3), 6 * j)
            for i in range(6):
                ro[unsafe_offset=i] = hip_rot_delta[unsafe_offset=i] + qr[unsafe_offset=i]
            _copy(ro, cond.unsafe_offset(6 * n + 3 + 6 * j), 6)
            _copy(latent, cond.unsafe_offset(cond_size), z)
            # gate input [phase | z]
            var gate = self.row(self.gate, r)
            _copy(phase_r, gate, 2 * p)
            _copy(latent, gate.unsafe_offset(2 * p), z)
        # gate: softmax(G2(ELU(G1(ELU(G0([phase | z]))))))
        self._dense(GATE0, self.gate, self.pred_a, ACT_ELU, rows)
        self._dense(GATE1, self.pred_a, self.pred_b, ACT_ELU, rows)
        self._dense(GATE2, self.pred_b, self.pred_a, ACT_NONE, rows)
        for r in range(rows.first, rows.end):
            softmax_into(self.row(self.pred_a, r), self.row(self.alpha, r), self.experts)
        # experts: ELU(blend(E0 [cond | z])) -> ELU(blend(E1 [h | z])) -> blend(mlp h)
        var v = self.layers[EXPERT1].n_out // self.experts
        self._dense(EXPERT0, self.dec_in, self.experts_out, ACT_NONE, rows)
        for r in range(rows.first, rows.end):
            var dh = self.row(self.dec_h, r)
            blend_experts(self.row(self.alpha, r), self.row(self.experts_out, r), self.experts, v, dh, ACT_ELU)
            _copy(self.row(self.pred_out, r).unsafe_offset(4 * p + 9), dh.unsafe_offset(v), z)
        self._dense(EXPERT1, self.dec_h, self.experts_out, ACT_NONE, rows)
        for r in range(rows.first, rows.end):
            var di = self.row(self.dec_in, r)
            blend_experts(self.row(self.alpha, r), self.row(self.experts_out, r), self.experts, v, di, ACT_ELU)
        self._dense(EXPERT_MLP, self.dec_in, self.experts_out, ACT_NONE, rows)
        for r in range(rows.first, rows.end):
            var delta = self.row(self.pose_delta, r)
            blend_experts(self.row(self.alpha, r), self.row(self.experts_out, r), self.experts, self.pose_out, delta,
                          ACT_NONE)
            # next pose: the hip moves by the predicted velocity, the others by the decoder's deltas
            var hip_vel = self.row(self.pred_out, r).unsafe_offset(4 * p)
            var d_rot = delta.unsafe_offset(3 * n)
            var vo = vel_out.at(r)
            var po = pos_out.at(r)
            var pr = pos.at(r)
            var qr = rot.at(r)
            var ro = rot_out.at(r)
            for a in range(3):
                vo[unsafe_offset=a] = hip_vel[unsafe_offset=a]
            for i in range(3, 3 * n):
                vo[unsafe_offset=i] = delta[unsafe_offset=i]
            for i in range(3 * n):
                po[unsafe_offset=i] = pr[unsafe_offset=i] + vo[unsafe_offset=i]
            for i in range(6, 6 * j):
                ro[unsafe_offset=i] = d_rot[unsafe_offset=i] + qr[unsafe_offset=i]

def _weighted_sum(weights: F32Ptr, rows: F32Ptr, n: Int, width: Int, y: F32Ptr):
    """Y[0:width] = sum_t weights[t] rows[t * width : (t + 1) * width], vectorised over the width."""
    comptime W = 16
    var i = 0
    while i + W <= width:
        var acc = SIMD[DType.float32, W](0)
        for t in range(n):
            acc = rows.unsafe_load[width=W](t * width + i).fma(SIMD[DType.float32, W](weights[unsafe_offset=t]), acc)
        y.unsafe_store(i, acc)
        i += W
    while i < width:
        var acc = Float32(0)
        for t in range(n):
            acc += weights[unsafe_offset=t] * rows[unsafe_offset=t * width + i]
        y[unsafe_offset=i] = acc
        i += 1


@always_inline
def _safe(norm: Float32) -> Float32:
    """Slerp's norm guard: eps where |norm| < eps (PhaseModule.slerp)."""
    return EPS32 if abs(norm) < EPS32 else norm
