"""Fixed-point numerics of seed 004: formats, PoT INT8, the saturating MAC and math primitives.

See ``docs/fixed_point.md``. Floats appear only offline (quantizing weights, building
tables) and in the error-bound functions; run-time routines are integer-only and
numba-compiled.
"""

from .mac import (acc_bits_needed, check_guard_bits, fuse_to_fixed, mac_dot, matvec_acc,
                  max_act_bits)
from .pot import (POT_EXP_MAX, POT_EXP_MIN, PotTensor, pot_error_bound, pot_quantize_rows,
                  pot_quantize_vector, pot_quantize_vector_array)
from .primitives import (F_BITS, F_FRAC, ExpTable, InvSqrtTable, exp_fixed, exp_fixed_array,
                         invsqrt_fixed, invsqrt_fixed_array, rmsnorm_error_bound, rmsnorm_fixed,
                         rope_error_bound, rope_rotate_pair, rope_tables, sigmoid_fixed,
                         silu_error_bound, silu_fixed, silu_fixed_array, softmax_error_bound,
                         softmax_fixed)
from .qformat import (SFIXED_12_20, Overflow, QFormat, Rounding, bit_length, saturate,
                      saturate_array, shift_round, shift_round_array)

__all__ = ["QFormat", "Rounding", "Overflow", "SFIXED_12_20", "shift_round", "saturate",
           "shift_round_array", "saturate_array", "bit_length",
           "POT_EXP_MIN", "POT_EXP_MAX", "PotTensor", "pot_quantize_rows",
           "pot_quantize_vector", "pot_quantize_vector_array", "pot_error_bound",
           "acc_bits_needed", "check_guard_bits", "max_act_bits", "mac_dot", "matvec_acc",
           "fuse_to_fixed", "F_FRAC", "F_BITS", "ExpTable", "InvSqrtTable", "exp_fixed",
           "exp_fixed_array", "softmax_fixed", "softmax_error_bound", "invsqrt_fixed",
           "invsqrt_fixed_array", "rmsnorm_fixed", "rmsnorm_error_bound", "rope_tables",
           "rope_rotate_pair", "rope_error_bound", "sigmoid_fixed", "silu_fixed",
           "silu_fixed_array", "silu_error_bound"]
