"""fake_idp"""
