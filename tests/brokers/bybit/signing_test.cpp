// Bybit V5 signing against the reference's test vectors (../shared/reference/bybit-v5.md §2):
// figures computed outside this code base, so a wrong string-to-sign or encoding fails here.
#include "brokers/bybit/signing.hpp"

#include <gtest/gtest.h>

namespace gauntlet::brokers::bybit {
namespace {

const ApiCredentials kCredentials{"test-key", "test-secret-0123456789"};
constexpr TimestampMs kTimestamp = 1'700'000'000'000;

TEST(BybitSigning, GetQueryMatchesTheReferenceVector) {
  EXPECT_EQ(
      sign_rest(kCredentials, kTimestamp, kDefaultRecvWindow, "category=linear&symbol=BTCUSDT"),
      "fe48d92cb9b5f6cf027e84181e477d84aeaf2928f662c082b7d4fea582f406c6");
}

TEST(BybitSigning, PostBodyMatchesTheReferenceVector) {
  const std::string body =
      R"({"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001",)"
      R"("price":"30000","timeInForce":"GTC","orderLinkId":"t-1"})";
  EXPECT_EQ(sign_rest(kCredentials, kTimestamp, kDefaultRecvWindow, body),
            "0c0a4e52449e9412c241e858818772f1b53e20cbfdbef8b8aa6ac3820adc5c6a");
}

TEST(BybitSigning, WebSocketAuthMatchesTheReferenceVector) {
  EXPECT_EQ(sign_ws_auth(kCredentials.secret, 1'700'000'005'000),
            "15120e695e6ae78a2de37c609d52adb61fc516e1adae2072b3e72fe331344a73");
}

TEST(BybitSigning, TheStringToSignHasNoSeparators) {
  // The documentation's own plaintext example (key "XXXXXXXXXX").
  EXPECT_EQ(rest_sign_text(1658384314791, "XXXXXXXXXX", 5000,
                           "category=option&symbol=BTC-29JUL22-25000-C"),
            "1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C");
}

TEST(BybitSigning, HmacMatchesRfc4231TestCase2) {
  // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?".
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(BybitSigning, QueryKeepsOrderAndEncodesReservedCharacters) {
  EXPECT_EQ(encode_query({{"category", "linear"}, {"symbol", "BTCUSDT"}, {"limit", "50"}}),
            "category=linear&symbol=BTCUSDT&limit=50");
  EXPECT_EQ(encode_query({{"cursor", "page_args=a&b c/d"}}), "cursor=page_args%3Da%26b%20c%2Fd");
  EXPECT_EQ(encode_query({{"orderLinkId", "g-1_x.y~z"}}), "orderLinkId=g-1_x.y~z");
  EXPECT_EQ(encode_query({}), "");
}

TEST(BybitSigning, SignaturesCompareIgnoringCaseAndLength) {
  const std::string signature = "fe48d92cb9b5f6cf027e84181e477d84aeaf2928f662c082b7d4fea582f406c6";
  EXPECT_TRUE(signature_equal(signature, signature));
  EXPECT_TRUE(signature_equal(signature,
                              "FE48D92CB9B5F6CF027E84181E477D84AEAF2928F662C082B7D4FEA582F406C6"));
  EXPECT_FALSE(signature_equal(signature, signature.substr(1)));
  std::string off_by_one = signature;
  off_by_one.back() = '7';
  EXPECT_FALSE(signature_equal(signature, off_by_one));
  EXPECT_FALSE(signature_equal(signature, ""));
}

TEST(BybitSigning, TimestampWindowIsBybits) {
  // server_time - recv_window <= timestamp < server_time + 1000
  constexpr TimestampMs server = 1'700'000'010'000;
  EXPECT_TRUE(timestamp_accepted(server, server - 5000, 5000));
  EXPECT_FALSE(timestamp_accepted(server, server - 5001, 5000));
  EXPECT_TRUE(timestamp_accepted(server, server + 999, 5000));
  EXPECT_FALSE(timestamp_accepted(server, server + 1000, 5000));
  EXPECT_TRUE(timestamp_accepted(server, server - 20'000, 30'000));
}

}  // namespace
}  // namespace gauntlet::brokers::bybit
