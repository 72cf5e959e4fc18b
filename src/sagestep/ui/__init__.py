"""sagestep.ui"""
