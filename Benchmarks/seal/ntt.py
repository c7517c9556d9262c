"""Reference point for ntt.forward: Microsoft SEAL's forward NTT of one polynomial.

Times Evaluator.transform_to_ntt_inplace on fresh BFV ciphertexts at N = 4096 and divides by the
ciphertext's two polynomials. SEAL keeps the last coefficient prime for key switching, so a modulus
list of three primes leaves two limbs in a fresh ciphertext (a 90- or 100-bit modulus), like the
default FaceMatch modulus. Run with `pip install seal-python numpy`:  python ntt.py
"""
import statistics
import time
from seal import *


def run(bits, n=4096):
    parms = EncryptionParameters(scheme_type.bfv)
    parms.set_poly_modulus_degree(n)
    parms.set_coeff_modulus(CoeffModulus.Create(n, bits))
    parms.set_plain_modulus(PlainModulus.Batching(n, 20))
    ctx = SEALContext(parms, True, sec_level_type.none)
    encryptor = Encryptor(ctx, KeyGenerator(ctx).create_public_key())
    evaluator = Evaluator(ctx)
    ct = encryptor.encrypt(Plaintext("1"))
    samples = []
    for _ in range(11):
        cts = [Ciphertext(ct) for _ in range(200)]
        start = time.perf_counter()
        for c in cts:
            evaluator.transform_to_ntt_inplace(c)
        samples.append((time.perf_counter() - start) / 200 / 2 * 1e9)
    print(f'{{"name":"seal.ntt.forward","coeffModulus":{bits},"limbs":{ct.coeff_modulus_size()},"ns":{statistics.median(samples):.0f}}}')


run([45, 45, 45])
run([50, 50, 50])
