"""Reference point for the FaceMatch goal: Microsoft SEAL's leaky HE-only 1:N search.

The client encrypts each coordinate of its query (one batched ciphertext per coordinate, the
value repeated in every slot); the server multiplies each by a plaintext holding that
coordinate of N database vectors and sums, returning every encrypted score (n / N result
ciphertexts). Leaky: the client learns all n scores. Run in a virtual environment with
`pip install seal-python numpy`:  python leaky_he_search.py [n] [d]
"""
import sys, time
import numpy as np
from seal import *

n = int(sys.argv[1]) if len(sys.argv) > 1 else 65536
d = int(sys.argv[2]) if len(sys.argv) > 2 else 512
N = 4096
parms = EncryptionParameters(scheme_type.bfv)
parms.set_poly_modulus_degree(N)
parms.set_coeff_modulus(CoeffModulus.BFVDefault(N))
parms.set_plain_modulus(PlainModulus.Batching(N, 24))
ctx = SEALContext(parms)
keygen = KeyGenerator(ctx)
encryptor = Encryptor(ctx, keygen.create_public_key())
evaluator = Evaluator(ctx)
encoder = BatchEncoder(ctx)
rng = np.random.default_rng(1)
query = rng.integers(-127, 128, d)
db = rng.integers(-127, 128, (n, d))
groups = (n + N - 1) // N
# Server-side plaintexts are precomputed, as our server precomputes its evaluation-form plaintexts.
plains = [[encoder.encode(np.resize(db[g * N:(g + 1) * N, j], N).astype(np.int64)) for j in range(d)] for g in range(groups)]
for g in range(groups):
    for j in range(d):
        evaluator.transform_to_ntt_inplace(plains[g][j], ctx.first_parms_id())

t0 = time.perf_counter()
cts = [encryptor.encrypt(encoder.encode(np.full(N, query[j], dtype=np.int64))) for j in range(d)]
up = sum(len(c.to_string()) for c in cts)
for c in cts:
    evaluator.transform_to_ntt_inplace(c)
results = []
for g in range(groups):
    acc = None
    for j in range(d):
        prod = evaluator.multiply_plain(cts[j], plains[g][j])
        acc = prod if acc is None else evaluator.add(acc, prod)
    evaluator.transform_from_ntt_inplace(acc)
    evaluator.mod_switch_to_inplace(acc, ctx.last_parms_id())
    results.append(acc)
down = sum(len(r.to_string()) for r in results)
elapsed = time.perf_counter() - t0
print(f'{{"name":"seal.leaky_search","n":{n},"d":{d},"seconds":{elapsed:.3f},"bytesUp":{up},"bytesDown":{down},"bytes":{up + down}}}')
