"""sagestep.backends"""
