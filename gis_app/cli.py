"""Placeholder, replaced below."""
def main():
    print("ok")
