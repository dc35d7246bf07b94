"""The RSMT sampler (TransitionNet_phase, inference/networks/transitionnet.py) as one Mojo function per
frame and per whole transition, for batch-1 generation.

Why: at batch 1 a sampler step is about 20 matrix-vector products and 40 small vector operations. PyTorch
pays its per-op dispatch on every one of them (~3 ms per lite step here), MAX its ~25 us per `execute`,
and both leave the weights in torch's row layout. Here every dense layer is packed once into panels
(dense.mojo) and streamed once per frame, every intermediate lives in one scratch arena, and a whole
transition is one call from Python.

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

from kernels.dense import ACT_ELU, ACT_NONE, PANEL, dense_panels, dot1, softmax_into
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
comptime LSTM = 7  # [W_ih | W_hh] on [x | h], bias b_ih + b_hh
comptime PRED0 = 8
comptime PRED1 = 9
comptime PRED_ATN_F = 10
comptime PRED_ATN_K = 11
comptime PRED2 = 12
comptime PRED_MLP = 13
comptime GATE0 = 14
comptime GATE1 = 15
comptime GATE2 = 16
comptime EXPERT0 = 17  # the E experts stacked along the outputs: (E * Out, In)
comptime EXPERT1 = 18
comptime EXPERT_MLP = 19
comptime N_DENSE = 20


@fieldwise_init
struct Dense(Copyable, Movable):
    """A linear layer packed as panels: y[0 : n_panels * PANEL] = W x + b (outputs past n_out are padding)."""

    var n_in: Int
    var n_out: Int
    var n_panels: Int
    var w: F32Ptr
    var b: F32Ptr

    def apply(self, x: F32Ptr, y: F32Ptr, act: Int):
        dense_panels(x, self.n_in, self.w, self.b, self.n_panels, y, act)


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

    def dense(mut self) -> Dense:
        var n_in = self.int()
        var n_out = self.int()
        var n_panels = self.int()
        var w = self.ptr()
        return Dense(n_in, n_out, n_panels, w, self.ptr())


@always_inline
def _padded(n: Int) -> Int:
    return PANEL * ((n + PANEL - 1) // PANEL)


def _take(mut at: Int, n: Int) -> F32Ptr:
    """A scratch buffer of n floats (padded to whole panels) at address `at`, which moves past it."""
    var p = F32Ptr(unsafe_from_address=at)
    at += 4 * _padded(n)
    return p


@always_inline
def _sigmoid(v: Float32) -> Float32:
    return 1.0 / (1.0 + exp(-v))


@always_inline
def _elu(v: Float32) -> Float32:
    return v if v > 0 else exp(v) - 1


def _copy(src: F32Ptr, dst: F32Ptr, n: Int):
    for i in range(n):
        dst[unsafe_offset=i] = src[unsafe_offset=i]


def _elu_inplace(x: F32Ptr, n: Int):
    for i in range(n):
        x[unsafe_offset=i] = _elu(x[unsafe_offset=i])


def _plu_inplace(x: F32Ptr, n: Int, w: Float32, c: Float32):
    """PLU: max(w (x + c) - c, min(w (x - c) + c, x))."""
    for i in range(n):
        var v = x[unsafe_offset=i]
        x[unsafe_offset=i] = max(w * (v + c) - c, min(w * (v - c) + c, v))


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
    for i in range(n):
        x[unsafe_offset=i] = _elu((1.0 + gamma[unsafe_offset=i]) * x[unsafe_offset=i] + beta[unsafe_offset=i])


struct Sampler:
    """The dims, layers and scratch buffers of one sampler; `step` is one generated (or warm-up) frame."""

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
    var layers: List[Dense]
    # scratch (each padded to whole panels: dense layers write their padding outputs too)
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

    def __init__(out self, spec: I64Ptr, scratch_addr: Int) raises:
        """Read the spec; carve the scratch arena from scratch_addr (0: only count scratch_floats)."""
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
        self.layers = List[Dense]()
        for _ in range(N_DENSE):
            self.layers.append(r.dense())
        if r.int() != SPEC_END:
            raise Error("sampler spec: layout mismatch between inference/mojo_sampler.py and sampler.mojo")

        var at = scratch_addr
        var widest = 0
        for i in range(N_DENSE):
            widest = max(widest, max(_padded(self.layers[i].n_out), _padded(self.layers[i].n_in)))

        self.enc_in = _take(at, widest)
        self.hidden = _take(at, widest)
        self.state = _take(at, widest)
        self.offset = _take(at, widest)
        self.emb = _take(at, widest)
        self.normed = _take(at, widest)
        self.query = _take(at, widest)
        self.scores = _take(at, self.tokens)
        self.context = _take(at, widest)
        self.lstm_in = _take(at, widest)
        self.gates = _take(at, widest)
        self.pred_in = _take(at, widest)
        self.pred_a = _take(at, widest)
        self.pred_b = _take(at, widest)
        self.pred_out = _take(at, widest)
        self.dec_in = _take(at, widest)
        self.gate = _take(at, widest)
        self.alpha = _take(at, self.experts)
        self.experts_out = _take(at, widest)
        self.dec_h = _take(at, widest)
        self.pose_delta = _take(at, widest)
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
            s + 2 * so, 4 * rnn,  # LSTM (in = x, out = gates)
            rnn + 2 * p + 2 * so, rnn, rnn, s, s, s, s, s, s, s, s, 4 * p + 9 + z,  # phase predictor
            2 * p + z, self.layers[GATE0].n_out, self.layers[GATE0].n_out, self.layers[GATE0].n_out,
            self.layers[GATE0].n_out, e,  # gate
            6 * n + 6 * j + 9 + z, e * v, v + z, e * v, v, e * self.pose_out,  # experts
        ]
        var got = List[Int]()
        for i in range(N_DENSE):
            if i == LSTM:
                got.append(self.layers[i].n_in - rnn)
            else:
                got.append(self.layers[i].n_in)
            got.append(self.layers[i].n_out)
        for i in range(len(expect)):
            if expect[i] != got[i]:
                var what = "inputs" if i % 2 == 0 else "outputs"
                raise Error(t"sampler spec: dense layer {i // 2} has {got[i]} {what}, the network needs {expect[i]}")

    def _attention(self, x: F32Ptr, n: Int, f: Int, k: Int, keys: F32Ptr, values: F32Ptr):
        """ATNBlock in place: x += k(softmax_t(keys[t] . f(row_norm(x)) / sqrt(S)) values)."""
        var s = self.style
        _row_norm(x, self.normed, n)
        self.layers[f].apply(self.normed, self.query, ACT_NONE)
        var scale = 1.0 / sqrt(Float32(s))
        for t in range(self.tokens):
            self.scores[unsafe_offset=t] = dot1(keys.unsafe_offset(t * s), self.query, s) * scale
        softmax_into(self.scores, self.scores, self.tokens)
        for i in range(s):
            self.context[unsafe_offset=i] = 0
        for t in range(self.tokens):
            var a = self.scores[unsafe_offset=t]
            var vt = values.unsafe_offset(t * s)
            for i in range(s):
                self.context[unsafe_offset=i] += a * vt[unsafe_offset=i]
        self.layers[k].apply(self.context, self.query, ACT_NONE)
        for i in range(n):
            x[unsafe_offset=i] += self.query[unsafe_offset=i]

    def _encode(self, first: Int, w0: Float32, c0: Float32, w1: Float32, c1: Float32, dst: F32Ptr):
        """StateEncoder: PLU(L1(PLU(L0(enc_in))))."""
        self.layers[first].apply(self.enc_in, self.hidden, ACT_NONE)
        _plu_inplace(self.hidden, self.layers[first].n_out, w0, c0)
        self.layers[first + 1].apply(self.hidden, dst, ACT_NONE)
        _plu_inplace(dst, self.layers[first + 1].n_out, w1, c1)

    def lstm(self, pos: F32Ptr, vel: F32Ptr, rot: F32Ptr, h: F32Ptr, c: F32Ptr, target_pos: F32Ptr,
             target_rot: F32Ptr, target_latent: F32Ptr, emb_gamma: F32Ptr, emb_beta: F32Ptr, emb_keys: F32Ptr,
             emb_values: F32Ptr, tta: Float32, noise: F32Ptr, h_out: F32Ptr, c_out: F32Ptr):
        """Lstm_input + LSTMCell (a warm-up frame is just this); leaves h_target at lstm_in[S : S + 2 SO]."""
        var n = self.n_pos
        var j = self.joints
        var so = self.state_out
        var s = self.style
        var rnn = self.rnn
        # state encoder input: [pos - hip | vel | 6D]
        for i in range(n):
            for a in range(3):
                self.enc_in[unsafe_offset=3 * i + a] = pos[unsafe_offset=3 * i + a] - pos[unsafe_offset=a]
        _copy(vel, self.enc_in.unsafe_offset(3 * n), 3 * n)
        _copy(rot, self.enc_in.unsafe_offset(6 * n), 6 * j)
        self._encode(STATE0, self.plu[unsafe_offset=0], self.plu[unsafe_offset=1], self.plu[unsafe_offset=2],
                     self.plu[unsafe_offset=3], self.state)
        # offset encoder input: [target pos - pos | target 6D - 6D]
        for i in range(3 * n):
            self.enc_in[unsafe_offset=i] = target_pos[unsafe_offset=i] - pos[unsafe_offset=i]
        for i in range(6 * j):
            self.enc_in[unsafe_offset=3 * n + i] = target_rot[unsafe_offset=i] - rot[unsafe_offset=i]
        self._encode(OFFSET0, self.plu[unsafe_offset=4], self.plu[unsafe_offset=5], self.plu[unsafe_offset=6],
                     self.plu[unsafe_offset=7], self.offset)
        # style embedding: ELU(ATN(ELU(AdaIN(linear(state)))))
        self.layers[EMB_LINEAR].apply(self.state, self.emb, ACT_NONE)
        _adain_elu(self.emb, s, emb_gamma, emb_beta)
        self._attention(self.emb, s, EMB_ATN_F, EMB_ATN_K, emb_keys, emb_values)
        _elu_inplace(self.emb, s)
        # time-to-arrival encodings and target noise (TransitionNet.concat)
        var t_long = Int(tta)  # tta.long(): truncation
        var t = min(max(t_long, 0), self.max_tta)
        var noise_weight = min(max((Float32(t_long) - 5.0) / 25.0, 0.0), 1.0)
        var pe = self.pe_small.unsafe_offset(t * so)
        var pe_s = self.pe_style.unsafe_offset(t * s)
        for i in range(s):
            self.lstm_in[unsafe_offset=i] = self.emb[unsafe_offset=i] + pe_s[unsafe_offset=i]
        for i in range(so):
            self.lstm_in[unsafe_offset=s + i] = self.offset[unsafe_offset=i] + pe[unsafe_offset=i] + noise_weight * noise[unsafe_offset=i]
            self.lstm_in[unsafe_offset=s + so + i] = target_latent[unsafe_offset=i] + pe[unsafe_offset=i] + noise_weight * noise[unsafe_offset=so + i]
        _copy(h, self.lstm_in.unsafe_offset(s + 2 * so), rnn)
        # LSTMCell, gates in torch's order (i, f, g, o)
        self.layers[LSTM].apply(self.lstm_in, self.gates, ACT_NONE)
        for u in range(rnn):
            var c_new = _sigmoid(self.gates[unsafe_offset=rnn + u]) * c[unsafe_offset=u] + _sigmoid(
                self.gates[unsafe_offset=u]) * tanh(self.gates[unsafe_offset=2 * rnn + u])
            c_out[unsafe_offset=u] = c_new
            h_out[unsafe_offset=u] = _sigmoid(self.gates[unsafe_offset=3 * rnn + u]) * tanh(c_new)

    def step(self, pos: F32Ptr, vel: F32Ptr, rot: F32Ptr, phase: F32Ptr, h: F32Ptr, c: F32Ptr, target_pos: F32Ptr,
             target_rot: F32Ptr, target_latent: F32Ptr, emb_gamma: F32Ptr, emb_beta: F32Ptr, emb_keys: F32Ptr,
             emb_values: F32Ptr, pred_gamma: F32Ptr, pred_beta: F32Ptr, pred_keys: F32Ptr, pred_values: F32Ptr,
             tta: Float32, noise: F32Ptr, pos_out: F32Ptr, vel_out: F32Ptr, rot_out: F32Ptr, phase_out: F32Ptr,
             h_out: F32Ptr, c_out: F32Ptr, pred_phase_out: F32Ptr, amp_out: F32Ptr, freq_out: F32Ptr):
        """One generated frame (TransitionSampler.step). h_out and c_out may be h and c (both are read before
        they are written); no other output may alias an input."""
        var n = self.n_pos
        var j = self.joints
        var p = self.phases
        var z = self.latent
        var so = self.state_out
        var s = self.style
        var rnn = self.rnn
        self.lstm(pos, vel, rot, h, c, target_pos, target_rot, target_latent, emb_gamma, emb_beta, emb_keys,
                  emb_values, tta, noise, h_out, c_out)
        # phase predictor: [h' | last phase | h_target] -> ELU -> 512 -> AdaIN, ELU, ATN -> ELU -> ELU -> out
        _copy(h_out, self.pred_in, rnn)
        _copy(phase, self.pred_in.unsafe_offset(rnn), 2 * p)
        _copy(self.lstm_in.unsafe_offset(s), self.pred_in.unsafe_offset(rnn + 2 * p), 2 * so)
        self.layers[PRED0].apply(self.pred_in, self.pred_a, ACT_ELU)
        self.layers[PRED1].apply(self.pred_a, self.pred_b, ACT_NONE)
        _adain_elu(self.pred_b, s, pred_gamma, pred_beta)
        self._attention(self.pred_b, s, PRED_ATN_F, PRED_ATN_K, pred_keys, pred_values)
        _elu_inplace(self.pred_b, s)
        self.layers[PRED2].apply(self.pred_b, self.pred_a, ACT_ELU)
        self.layers[PRED_MLP].apply(self.pred_a, self.pred_out, ACT_NONE)
        var head = self.pred_out
        var hip_vel = head.unsafe_offset(4 * p)
        var hip_rot_delta = head.unsafe_offset(4 * p + 3)
        var latent = head.unsafe_offset(4 * p + 9)
        _copy(head, pred_phase_out, 2 * p)
        _copy(head.unsafe_offset(2 * p), amp_out, p)
        _copy(head.unsafe_offset(3 * p), freq_out, p)
        # phase update: rotate the unit last phase by 2 pi F dt, scale by A, halfway slerp with the prediction
        for k in range(p):
            var x = phase[unsafe_offset=2 * k]
            var y = phase[unsafe_offset=2 * k + 1]
            var norm = max(sqrt(x * x + y * y), EPS32)
            x /= norm
            y /= norm
            var theta = Float32(2.0 * PI) * freq_out[unsafe_offset=k] * self.dt
            var ct = cos(theta)
            var st = sin(theta)
            var amp = amp_out[unsafe_offset=k]
            var x0 = amp * (x * ct - y * st)
            var y0 = amp * (x * st + y * ct)
            var x1 = pred_phase_out[unsafe_offset=2 * k]
            var y1 = pred_phase_out[unsafe_offset=2 * k + 1]
            var a0 = _safe(sqrt(x0 * x0 + y0 * y0))
            var a1 = _safe(sqrt(x1 * x1 + y1 * y1))
            var mx = 0.5 * (x0 / a0 + x1 / a1)
            var my = 0.5 * (y0 / a0 + y1 / a1)
            var m = _safe(sqrt(mx * mx + my * my))
            var scale = 0.5 * (a0 + a1) / m
            phase_out[unsafe_offset=2 * k] = mx * scale
            phase_out[unsafe_offset=2 * k + 1] = my * scale
        # decoder condition [pos - hip | vel | hip vel | 6D | hip 6D] and the next hip rotation
        var cond = self.dec_in
        for i in range(n):
            for a in range(3):
                cond[unsafe_offset=3 * i + a] = pos[unsafe_offset=3 * i + a] - pos[unsafe_offset=a]
        _copy(vel, cond.unsafe_offset(3 * n), 3 * n)
        _copy(hip_vel, cond.unsafe_offset(6 * n), 3)
        _copy(rot, cond.unsafe_offset(6 * n + 3), 6 * j)
        for i in range(6):
            rot_out[unsafe_offset=i] = hip_rot_delta[unsafe_offset=i] + rot[unsafe_offset=i]
        _copy(rot_out, cond.unsafe_offset(6 * n + 3 + 6 * j), 6)
        var cond_size = 6 * n + 6 * j + 9
        _copy(latent, cond.unsafe_offset(cond_size), z)
        # gate: softmax(G2(ELU(G1(ELU(G0([phase | z]))))))
        _copy(phase_out, self.gate, 2 * p)
        _copy(latent, self.gate.unsafe_offset(2 * p), z)
        self.layers[GATE0].apply(self.gate, self.pred_a, ACT_ELU)
        self.layers[GATE1].apply(self.pred_a, self.pred_b, ACT_ELU)
        self.layers[GATE2].apply(self.pred_b, self.pred_a, ACT_NONE)
        softmax_into(self.pred_a, self.alpha, self.experts)
        # experts: ELU(blend(E0 [cond | z])) -> ELU(blend(E1 [h | z])) -> blend(mlp h)
        var v = self.layers[EXPERT1].n_out // self.experts
        self.layers[EXPERT0].apply(cond, self.experts_out, ACT_NONE)
        self._blend(self.experts_out, v, self.dec_h)
        _elu_inplace(self.dec_h, v)
        _copy(latent, self.dec_h.unsafe_offset(v), z)
        self.layers[EXPERT1].apply(self.dec_h, self.experts_out, ACT_NONE)
        self._blend(self.experts_out, v, self.dec_in)
        _elu_inplace(self.dec_in, v)
        self.layers[EXPERT_MLP].apply(self.dec_in, self.experts_out, ACT_NONE)
        self._blend(self.experts_out, self.pose_out, self.pose_delta)
        # next pose: the hip moves by the predicted velocity, the others by the decoder's deltas
        var d_rot = self.pose_delta.unsafe_offset(3 * n)
        for a in range(3):
            vel_out[unsafe_offset=a] = hip_vel[unsafe_offset=a]
        for i in range(3, 3 * n):
            vel_out[unsafe_offset=i] = self.pose_delta[unsafe_offset=i]
        for i in range(3 * n):
            pos_out[unsafe_offset=i] = pos[unsafe_offset=i] + vel_out[unsafe_offset=i]
        for i in range(6, 6 * j):
            rot_out[unsafe_offset=i] = d_rot[unsafe_offset=i] + rot[unsafe_offset=i]

    def _blend(self, stacked: F32Ptr, n_out: Int, y: F32Ptr):
        """Y[o] = sum_e alpha_e stacked[e * n_out + o]."""
        for o in range(n_out):
            y[unsafe_offset=o] = 0
        for e in range(self.experts):
            var a = self.alpha[unsafe_offset=e]
            var ye = stacked.unsafe_offset(e * n_out)
            for o in range(n_out):
                y[unsafe_offset=o] += a * ye[unsafe_offset=o]


@always_inline
def _safe(norm: Float32) -> Float32:
    """Slerp's norm guard: eps where |norm| < eps (PhaseModule.slerp)."""
    return EPS32 if abs(norm) < EPS32 else norm
