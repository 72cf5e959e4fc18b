"""sagestep.cli"""
