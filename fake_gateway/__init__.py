"""fake_gateway"""
