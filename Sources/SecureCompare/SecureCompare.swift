import BFV
