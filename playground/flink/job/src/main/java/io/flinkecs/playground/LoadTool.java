package io.flinkecs.playground;

import com.sun.net.httpserver.HttpServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Load and backlog tool, independent of Flink's own metrics.
 *
 * <pre>
 * create-topic --bootstrap B --topic T --partitions 8
 * produce      --bootstrap B --topic T (--rate R | --steps "0:1000,30:3000" | --trace file.csv)
 *              [--duration-s S] [--group G --report-ms 1000 --status-port PORT]
 *              [--hot-key-fraction f] [--hot-partition-fraction f]
 * lag          --bootstrap B --topic T --group G        (one JSON line, then exit)
 * </pre>
 *
 * A trace is CSV "seconds,recordsPerSecond" (header optional); the rate of a row holds
 * until the next row's second; the last row holds until --duration-s (default: the last
 * row's second + 1, or forever for --rate). While producing with --group, one JSON line
 * per report interval goes to stdout: produced count, target rate, and the group's lag
 * (log-end offset - committed offset, summed and per partition). The KafkaSource commits
 * on checkpoint completion, so the committed lag includes up to one checkpoint interval.
 * With --status-port the latest line is served at /lag (JSON) and /metrics (Prometheus), and
 * POST /rate?r=R changes the rate from now on (the trace's later rows are dropped; what the
 * trace owed until now is still sent): for runs whose next step waits for a condition.
 */
public final class LoadTool {
    public static void main(String[] argv) throws Exception {
        if (argv.length == 0) {
            System.err.println("usage: LoadTool create-topic|produce|lag --bootstrap ... (see the class comment)");
            System.exit(2);
        }
        Args a = new Args(argv, 1);
        switch (argv[0]) {
            case "create-topic" -> createTopic(a);
            case "produce" -> produce(a);
            case "lag" -> {
                try (Admin admin = admin(a)) {
                    System.out.println(lagJson(admin, a.get("topic", "demo"), a.get("group", "flink-demo"), -1, -1, -1));
                }
            }
            default -> {
                System.err.println("unknown command " + argv[0]);
                System.exit(2);
            }
        }
    }

    static Admin admin(Args a) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, a.get("bootstrap", "127.0.0.1:9092"));
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        return Admin.create(p);
    }

    static void createTopic(Args a) throws Exception {
        String topic = a.get("topic", "demo");
        int partitions = a.getInt("partitions", 8);
        try (Admin admin = admin(a)) {
            try {
                admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
                System.out.println("created topic " + topic + " with " + partitions + " partitions");
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) throw e;
                int have = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
                System.out.println("topic " + topic + " exists with " + have + " partitions");
                if (have != partitions) {
                    System.err.println("topic " + topic + " has " + have + " partitions, wanted " + partitions);
                    System.exit(1);
                }
            }
        }
    }

    /** Piecewise-constant rate: rates[i] from seconds[i] until seconds[i+1]. */
    record Trace(double[] seconds, double[] rates, double end) {
        double rateAt(double t) {
            double r = 0;
            for (int i = 0; i < seconds.length && seconds[i] <= t; i++) r = rates[i];
            return t >= end ? 0 : r;
        }

        /** The same trace until t, then `rate` until the end. */
        Trace withRate(double t, double rate) {
            int n = 0;
            while (n < seconds.length && seconds[n] < t) n++;
            double[] s = java.util.Arrays.copyOf(seconds, n + 1);
            double[] r = java.util.Arrays.copyOf(rates, n + 1);
            s[n] = t;
            r[n] = rate;
            return new Trace(s, r, end);
        }

        /** Records due in [0, t): the integral of the rate. */
        double dueAt(double t) {
            double sum = 0;
            for (int i = 0; i < seconds.length; i++) {
                double from = seconds[i];
                double to = Math.min(i + 1 < seconds.length ? seconds[i + 1] : end, end);
                if (t <= from) break;
                sum += rates[i] * (Math.min(t, to) - from);
            }
            return sum;
        }
    }

    static Trace trace(Args a) throws IOException {
        List<double[]> rows = new ArrayList<>();
        if (a.has("rate")) {
            rows.add(new double[] {0, a.getDouble("rate", 0)});
        } else if (a.has("steps")) {
            for (String s : a.get("steps", "").split(",")) {
                String[] kv = s.trim().split(":");
                rows.add(new double[] {Double.parseDouble(kv[0]), Double.parseDouble(kv[1])});
            }
        } else if (a.has("trace")) {
            for (String line : Files.readAllLines(Path.of(a.get("trace", "")))) {
                line = line.trim();
                if (line.isEmpty() || line.startsWith("#") || !Character.isDigit(line.charAt(0))) continue;
                String[] kv = line.split(",");
                rows.add(new double[] {Double.parseDouble(kv[0].trim()), Double.parseDouble(kv[1].trim())});
            }
        } else {
            throw new IllegalArgumentException("produce needs --rate, --steps or --trace");
        }
        rows.sort((x, y) -> Double.compare(x[0], y[0]));
        double[] s = rows.stream().mapToDouble(r -> r[0]).toArray();
        double[] r = rows.stream().mapToDouble(x -> x[1]).toArray();
        double dflt = a.has("rate") ? Double.POSITIVE_INFINITY : s[s.length - 1] + 1;
        double end = a.has("duration-s") ? a.getDouble("duration-s", 0) : dflt;
        return new Trace(s, r, end);
    }

    static void produce(Args a) throws Exception {
        String topic = a.get("topic", "demo");
        String group = a.get("group", null);
        long reportMs = a.getLong("report-ms", 1000);
        double hotKey = a.getDouble("hot-key-fraction", 0);
        double hotPartition = a.getDouble("hot-partition-fraction", 0);
        AtomicReference<Trace> traceRef = new AtomicReference<>(trace(a));
        AtomicLong startNanos = new AtomicLong(System.nanoTime());

        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, a.get("bootstrap", "127.0.0.1:9092"));
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());

        AtomicReference<String> last = new AtomicReference<>("{}");
        AtomicLong produced = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        HttpServer http = null;
        if (a.has("status-port")) {
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", a.getInt("status-port", 0)), 0);
            http.createContext("/lag", ex -> reply(ex, "application/json", last.get() + "\n"));
            http.createContext("/metrics", ex -> reply(ex, "text/plain; version=0.0.4", prometheus(last.get())));
            http.createContext("/rate", ex -> {
                String q = ex.getRequestURI().getQuery();
                double rate;
                try {
                    rate = Double.parseDouble(q == null ? "" : q.replaceFirst("^r=", ""));
                } catch (NumberFormatException e) {
                    reply(ex, "text/plain", "usage: POST /rate?r=<records per second>\n", 400);
                    return;
                }
                double t = (System.nanoTime() - startNanos.get()) / 1e9;
                traceRef.updateAndGet(tr -> tr.withRate(t, rate));
                reply(ex, "application/json", String.format("{\"t\":%.3f,\"rate\":%.0f}%n", t, rate));
            });
            http.start();
        }

        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p);
                Admin admin = group == null ? null : admin(a)) {
            int partitions = producer.partitionsFor(topic).size();
            Random rnd = new Random(42);
            startNanos.set(System.nanoTime());
            long start = startNanos.get();
            long nextReport = 0;
            long seq = 0;
            volatileStop = false;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> volatileStop = true));
            while (!volatileStop) {
                Trace trace = traceRef.get();
                double t = Math.min((System.nanoTime() - start) / 1e9, trace.end());
                boolean atEnd = t >= trace.end(); // send what the trace owes up to its end, then stop
                long due = (long) Math.round(trace.dueAt(t) * 1e6) / 1_000_000L;
                int burst = 0;
                while (seq < due && burst++ < 20_000) {
                    long key = hotKey > 0 && rnd.nextDouble() < hotKey ? 0 : seq + 1;
                    int part = hotPartition > 0 && rnd.nextDouble() < hotPartition ? 0 : (int) (seq % partitions);
                    byte[] v = ByteBuffer.allocate(16).putLong(key).putLong(System.currentTimeMillis()).array();
                    producer.send(new ProducerRecord<>(topic, part, null, v), (md, ex) -> {
                        if (ex == null) produced.incrementAndGet(); else failed.incrementAndGet();
                    });
                    seq++;
                }
                long ms = (System.nanoTime() - start) / 1_000_000;
                if (ms >= nextReport) {
                    nextReport = ms + reportMs;
                    String line = admin == null
                            ? String.format("{\"t\":%.1f,\"rate\":%.0f,\"produced\":%d,\"failed\":%d}", t, trace.rateAt(t), produced.get(), failed.get())
                            : lagJson(admin, topic, group, t, trace.rateAt(t), produced.get());
                    last.set(line);
                    System.out.println(line);
                    System.out.flush();
                }
                if (atEnd && seq >= due) break;
                Thread.sleep(2);
            }
            producer.flush();
            System.err.println("producer done: sent " + seq + ", acked " + produced.get() + ", failed " + failed.get());
        } finally {
            if (http != null) http.stop(0);
        }
    }

    static volatile boolean volatileStop;

    static String lagJson(Admin admin, String topic, String group, double t, double rate, long produced) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions().size();
        Map<TopicPartition, OffsetSpec> req = new HashMap<>();
        for (int i = 0; i < partitions; i++) req.put(new TopicPartition(topic, i), OffsetSpec.latest());
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(req).all().get(10, TimeUnit.SECONDS);
        long lag = 0, end = 0, com = 0;
        StringBuilder per = new StringBuilder();
        StringBuilder perCommitted = new StringBuilder();
        for (int i = 0; i < partitions; i++) {
            TopicPartition tp = new TopicPartition(topic, i);
            long e = ends.get(tp).offset();
            OffsetAndMetadata c = committed.get(tp);
            long co = c == null ? 0 : c.offset();
            end += e;
            com += co;
            lag += Math.max(0, e - co);
            per.append(i == 0 ? "" : ",").append(Math.max(0, e - co));
            perCommitted.append(i == 0 ? "" : ",").append(co);
        }
        return String.format(
                "{\"t\":%.1f,\"epochMs\":%d,\"rate\":%.0f,\"produced\":%d,\"logEnd\":%d,\"committed\":%d,\"lag\":%d,\"lagPerPartition\":[%s],\"committedPerPartition\":[%s]}",
                t, System.currentTimeMillis(), rate, produced, end, com, lag, per, perCommitted);
    }

    static String prometheus(String json) {
        StringBuilder b = new StringBuilder();
        for (String k : new String[] {"rate", "produced", "logEnd", "committed", "lag"}) {
            String v = field(json, k);
            if (v != null) b.append("demo_loadtool_").append(k).append(' ').append(v).append('\n');
        }
        return b.toString();
    }

    static String field(String json, String k) {
        int i = json.indexOf("\"" + k + "\":");
        if (i < 0) return null;
        int s = i + k.length() + 3, e = s;
        while (e < json.length() && "-0123456789.".indexOf(json.charAt(e)) >= 0) e++;
        return json.substring(s, e);
    }

    static void reply(com.sun.net.httpserver.HttpExchange ex, String type, String body) throws IOException {
        reply(ex, type, body, 200);
    }

    static void reply(com.sun.net.httpserver.HttpExchange ex, String type, String body, int status) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }
}
