"""Unit tests of `junction_sdk.url`, the cases of the Rust SDK's `url` tests (and of
lib/url.js's), run natively."""

import unittest

from junction_sdk.url import Url, UrlError, encode_segment


class UrlTest(unittest.TestCase):
    def test_a_url_parses_into_its_parts_normalised(self) -> None:
        u = Url.parse("HTTPS://User:P%40ss@Shop.Example.COM:8443/wp-json/wc/v3/?a=1&b=x y#frag")
        self.assertEqual(u.scheme, "https")
        self.assertEqual(u.userinfo, "User:P%40ss")
        self.assertEqual(u.host, "shop.example.com")
        self.assertEqual(u.port, 8443)
        self.assertEqual(u.authority, "shop.example.com:8443")
        self.assertEqual(u.path, "/wp-json/wc/v3/")
        self.assertEqual(u.query, "a=1&b=x%20y")
        self.assertEqual(u.fragment, "frag")
        self.assertEqual(str(u), "https://User:P%40ss@shop.example.com:8443/wp-json/wc/v3/?a=1&b=x%20y#frag")
        self.assertEqual(u.path_with_query, "/wp-json/wc/v3/?a=1&b=x%20y")
        self.assertEqual(str(Url.parse("http://127.0.0.1:80")), "http://127.0.0.1/")
        v6 = Url.parse("http://[::1]:8090/x")
        self.assertEqual((v6.host, v6.authority), ("[::1]", "[::1]:8090"))
        self.assertEqual(Url.parse("https://h:443/").authority, "h")
        self.assertIsNone(Url.parse("http://h:/").port)

    def test_paths_are_normalised(self) -> None:
        self.assertEqual(Url.parse("http://h/a/./b/../c").path, "/a/c")
        self.assertEqual(Url.parse("http://h/a/..").path, "/")
        self.assertEqual(Url.parse("http://h/../../x").path, "/x")
        self.assertEqual(Url.parse("http://h/a/b/.").path, "/a/b/")
        self.assertEqual(Url.parse("http://h/a b/é").path, "/a%20b/%C3%A9")
        self.assertEqual(Url.parse("http://h/a%2Fb").path, "/a%2Fb")
        self.assertEqual(Url.parse("http://h/100%").path, "/100%25")

    def test_what_is_not_an_absolute_url_is_refused(self) -> None:
        bad = [
            "", "shop.example.com", "/relative", "http://", "http:///path", "http:host",
            "http://exa mple.com/", "http://h:99999/", "http://h:8o/", "http://[::1/", "http://[zz]/",
            "http://bücher.de/", "http://a..b/", "1http://h/", "http://h/a\tb",
        ]
        for given in bad:
            with self.assertRaises(UrlError, msg=repr(given)):
                Url.parse(given)
        with self.assertRaises(UrlError) as caught:
            Url.parse("nope")
        self.assertEqual(caught.exception.reason, "not an absolute URL (expected scheme://host/...)")
        self.assertEqual(Url.parse("http://xn--bcher-kva.de/").host, "xn--bcher-kva.de")

    def test_segments_are_encoded_whole_so_an_id_cannot_change_the_shape_of_a_url(self) -> None:
        u = Url.parse("https://shop.example.com/wp-json/wc/v3/")
        u.push_segment("orders").push_segment("../x?y#z/%").push_segment("..")
        self.assertEqual(u.path, "/wp-json/wc/v3/orders/..%2Fx%3Fy%23z%2F%25/%2E%2E")
        self.assertEqual(encode_segment("a b!$'()*,:@~&=+;"), "a%20b!$'()*,:@~%26%3D%2B%3B")
        self.assertEqual(encode_segment("é"), "%C3%A9")
        self.assertEqual(encode_segment("."), "%2E")
        self.assertEqual(Url.parse("http://h/base").push_segment("a").path, "/base/a")

    def test_query_pairs_are_appended_form_urlencoded_and_read_back_decoded(self) -> None:
        u = Url.parse("https://shop.example.com/x?keep=a%20b")
        u.append_query_pair("modified_after", "2025-01-02T03:04:05")
        u.append_query_pair("search", "a b&c=d/é*~")
        self.assertEqual(u.query, "keep=a%20b&modified_after=2025-01-02T03%3A04%3A05&search=a+b%26c%3Dd%2F%C3%A9*%7E")
        self.assertEqual(
            u.query_pairs(),
            [("keep", "a b"), ("modified_after", "2025-01-02T03:04:05"), ("search", "a b&c=d/é*~")],
        )
        empty = Url.parse("http://h/")
        self.assertEqual(empty.query_pairs(), [])
        self.assertEqual(str(empty.append_query_pair("page", "2")), "http://h/?page=2")


if __name__ == "__main__":
    unittest.main()
