"""sagestep.spec"""
