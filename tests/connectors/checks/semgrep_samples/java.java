// Rule tests for java.yaml (semgrep --test): "ruleid: <id>" marks a line the rule must
// report, "ok: <id>" a line it must not.
package com.example.connector;

import com.commercetools.api.client.ProjectApiRoot;
import com.commercetools.graphql.api.GraphQLRequest;
import jakarta.servlet.http.HttpServletRequest;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import javax.crypto.Cipher;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509TrustManager;
import org.apache.http.conn.ssl.NoopHostnameVerifier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
public class Security {

    private final JdbcTemplate jdbcTemplate;
    private final Connection connection;
    private final ProjectApiRoot apiRoot;

    Security(JdbcTemplate jdbcTemplate, Connection connection, ProjectApiRoot apiRoot) {
        this.jdbcTemplate = jdbcTemplate;
        this.connection = connection;
        this.apiRoot = apiRoot;
    }

    @GetMapping("/orders")
    public List<?> orders(@RequestParam String customer, @RequestParam("sort") String sort) throws Exception {
        Statement statement = connection.createStatement();
        // ruleid: java-sql-injection-request-data, java-sql-string-building
        statement.executeQuery("SELECT * FROM orders WHERE customer = '" + customer + "'");
        String query = "SELECT * FROM orders ORDER BY " + sort;
        // ruleid: java-sql-injection-request-data, java-sql-string-building
        jdbcTemplate.queryForList(query);
        // ok: java-sql-injection-request-data
        PreparedStatement prepared = connection.prepareStatement("SELECT * FROM orders WHERE customer = ?");
        prepared.setString(1, customer);
        // ok: java-sql-injection-request-data
        ResultSet rows = prepared.executeQuery();
        // ok: java-sql-injection-request-data
        return jdbcTemplate.queryForList("SELECT * FROM orders WHERE customer = ?", customer);
    }

    @GetMapping("/carts/{id}")
    public Object cart(@PathVariable String id, HttpServletRequest request) throws Exception {
        // ruleid: java-sql-injection-request-data, java-sql-string-building
        connection.prepareStatement(String.format("DELETE FROM carts WHERE id = '%s'", request.getParameter("id")));
        // ruleid: java-command-injection-request-data, java-command-string-building
        Runtime.getRuntime().exec("convert " + request.getHeader("X-File") + " out.png");
        // ruleid: java-command-injection-request-data
        new ProcessBuilder("sh", "-c", id).start();
        // ok: java-command-injection-request-data
        new ProcessBuilder("convert", "in.png", "out.png").start();
        // ok: java-sql-injection-request-data
        Object found = apiRoot.customObjects().get().withWhere("key = \"" + id + "\"").executeBlocking();
        // ok: java-sql-injection-request-data
        Object graph = apiRoot.graphql().post(GraphQLRequest.builder().query("query { order(id: \"" + id + "\") { id } }").build()).executeBlocking();
        // ok: java-sql-injection-request-data
        Object updated = apiRoot.carts().withId(id).get().executeBlocking();
        return List.of(found, graph, updated);
    }

    ResultSet find(Connection db, String customerId, String table) throws Exception {
        Statement statement = db.createStatement();
        // ruleid: java-sql-string-building
        statement.executeQuery("SELECT * FROM orders WHERE customer_id = '" + customerId + "'");
        String delete = "DELETE FROM carts WHERE id = " + customerId;
        // ruleid: java-sql-string-building
        statement.executeUpdate(delete);
        // ok: java-sql-string-building
        statement.executeQuery("SELECT * FROM " + "orders" + " WHERE id = 1");
        // ok: java-sql-string-building
        logger.info("select " + customerId + " from the catalogue");
        // ok: java-sql-string-building
        Object page = apiRoot.orders().get().withWhere("customerId = \"" + customerId + "\"").executeBlocking();
        // ok: java-sql-string-building
        java.net.URI uri = java.net.URI.create(String.format("%s/select?x=%s", table, customerId));
        // ok: java-sql-string-building
        PreparedStatement safe = db.prepareStatement("SELECT * FROM orders WHERE customer_id = ?");
        safe.setString(1, customerId);
        return safe.executeQuery();
    }

    void run(String file) throws Exception {
        // ruleid: java-command-string-building
        Runtime.getRuntime().exec("convert " + file + " out.png");
        // ruleid: java-command-string-building
        new ProcessBuilder("sh", "-c", "ls " + file).start();
        // ok: java-command-string-building
        new ProcessBuilder("convert", file, "out.png").start();
    }

    X509TrustManager trustAll() {
        return new X509TrustManager() {
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }

            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            // ruleid: java-trust-all-certificates
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}
        };
    }

    static class PinnedTrustManager {
        // ok: java-trust-all-certificates
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws Exception {
            if (chain.length == 0) {
                throw new IllegalArgumentException("empty chain");
            }
        }
    }

    HostnameVerifier anyHost() {
        return new HostnameVerifier() {
            // ruleid: java-hostname-verification-disabled
            public boolean verify(String host, SSLSession session) { return true; }
        };
    }

    HostnameVerifier knownHost() {
        return new HostnameVerifier() {
            // ok: java-hostname-verification-disabled
            public boolean verify(String host, SSLSession session) { return "api.example.com".equals(host); }
        };
    }

    Object noop() {
        // ruleid: java-hostname-verification-disabled
        return NoopHostnameVerifier.INSTANCE;
    }

    byte[] digests(byte[] data) throws Exception {
        // ruleid: java-weak-hash
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        // ruleid: java-weak-hash
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        // ok: java-weak-hash
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        md5.update(data);
        sha1.update(data);
        return sha256.digest(data);
    }

    void ciphers() throws Exception {
        // ruleid: java-weak-cipher
        Cipher des = Cipher.getInstance("DES/CBC/PKCS5Padding");
        // ruleid: java-weak-cipher
        Cipher defaultAes = Cipher.getInstance("AES");
        // ruleid: java-weak-cipher
        Cipher ecb = Cipher.getInstance("AES/ECB/PKCS5Padding");
        // ok: java-weak-cipher
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        // ok: java-weak-cipher
        Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
    }
}
