package notify.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.function.Executable;
import uk.gov.service.notify.LetterResponse;
import uk.gov.service.notify.Notification;
import uk.gov.service.notify.NotificationClient;
import uk.gov.service.notify.NotificationClientException;
import uk.gov.service.notify.NotificationList;
import uk.gov.service.notify.ReceivedTextMessage;
import uk.gov.service.notify.ReceivedTextMessageList;
import uk.gov.service.notify.SendEmailResponse;
import uk.gov.service.notify.SendLetterResponse;
import uk.gov.service.notify.SendSmsResponse;
import uk.gov.service.notify.Template;
import uk.gov.service.notify.TemplateList;
import uk.gov.service.notify.TemplatePreview;

/**
 * GOV.UK Notify's official Java client (notifications-java-client, unmodified, from Maven Central)
 * driven against the running platform the way an integrator uses it: every send, read, template and
 * received-text call, and every error class it can meet. Run by tests/e2e/clients/test_java_client.py,
 * which sets up the service and passes its ids and keys in NOTIFY_* environment variables.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NotificationClientTest {
    private static final String URL = env("NOTIFY_API_URL");
    private static final NotificationClient CLIENT = new NotificationClient(env("NOTIFY_API_KEY"), URL);
    private static final String SMS = env("NOTIFY_SMS_TEMPLATE_ID");
    private static final String EMAIL = env("NOTIFY_EMAIL_TEMPLATE_ID");
    private static final String FILE_EMAIL = env("NOTIFY_FILE_EMAIL_TEMPLATE_ID");
    private static final String LETTER = env("NOTIFY_LETTER_TEMPLATE_ID");
    private static final byte[] PDF = ("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
            + "trailer << /Root 1 0 R >>\n%%EOF\n").getBytes(StandardCharsets.US_ASCII);
    private static final String MARKER = UUID.randomUUID().toString().substring(0, 8);
    private static final Map<String, UUID> SENT = new HashMap<>();

    private static String env(String name) {
        String value = System.getenv(name);
        assertNotNull(value, name + " is not set");
        return value;
    }

    private interface Check<T> {
        T get() throws Exception;
    }

    /** One page of a listing as the client returns it: its items and its "next" link. */
    private record Page<T>(List<T> items, Optional<String> next) {}

    private interface Paged<T> {
        Page<T> page(String olderThan) throws Exception;
    }

    /** Polls until check returns a non-null value (the platform is asynchronous behind the API). */
    private static <T> T until(String what, Check<T> check) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        for (;;) {
            T result = check.get();
            if (result != null) {
                return result;
            }
            if (Instant.now().isAfter(deadline)) {
                fail(what + " did not happen within 60s");
            }
            Thread.sleep(250);
        }
    }

    /** The refusal's status and Notify's error body, which the client puts after "Status code: N ". */
    private static void assertRefused(Executable call, int status, String error, String message) {
        NotificationClientException refused = assertThrows(NotificationClientException.class, call);
        assertEquals(status, refused.getHttpResult(), refused.getMessage());
        String prefix = "Status code: " + status + " ";
        assertTrue(refused.getMessage().startsWith(prefix), refused.getMessage());
        JSONObject body = new JSONObject(refused.getMessage().substring(prefix.length()));
        assertEquals(status, body.getInt("status_code"));
        JSONArray errors = body.getJSONArray("errors");
        assertEquals(1, errors.length(), body.toString());
        assertEquals(error, errors.getJSONObject(0).getString("error"));
        assertEquals(message, errors.getJSONObject(0).getString("message"));
    }

    private static Map<String, Object> personalisation(Object... pairs) {
        Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    /** Every page of a listing, following older_than from each page's last item until one is empty. */
    private static <T> List<T> allPages(Paged<T> fetch, Function<T, UUID> id) throws Exception {
        List<T> seen = new ArrayList<>();
        String olderThan = null;
        for (;;) {
            Page<T> page = fetch.page(olderThan);
            if (page.items().isEmpty()) {
                return seen;
            }
            String last = id.apply(page.items().get(page.items().size() - 1)).toString();
            String next = page.next().orElseThrow();
            assertTrue(List.of(java.net.URI.create(next).getQuery().split("&")).contains("older_than=" + last), next);
            seen.addAll(page.items());
            olderThan = last;
        }
    }

    @Test
    @Order(1)
    void aTextMessageIsSentWithPersonalisationAReferenceAndAnSmsSenderId() throws Exception {
        SendSmsResponse sent = CLIENT.sendSms(SMS, "07700 900 123", personalisation("name", "Ada", "code", 123),
                "sms-" + MARKER, env("NOTIFY_SMS_SENDER_ID"));
        assertEquals(Optional.of("sms-" + MARKER), sent.getReference());
        // Text messages start with the service's name unless the service turns that off, as in Notify.
        String body = env("NOTIFY_SERVICE_NAME") + ": Hello Ada, your code is 123.";
        assertEquals(body, sent.getBody());
        assertEquals(Optional.of("Clients"), sent.getFromNumber());
        assertEquals(UUID.fromString(SMS), sent.getTemplateId());
        assertEquals(1, sent.getTemplateVersion());
        assertEquals(URL + "/v2/template/" + SMS, sent.getTemplateUri());
        SENT.put("sms", sent.getNotificationId());

        Notification read = CLIENT.getNotificationById(sent.getNotificationId().toString());
        assertEquals(sent.getNotificationId(), read.getId());
        assertEquals("sms", read.getNotificationType());
        assertEquals(Optional.of("sms-" + MARKER), read.getReference());
        assertEquals(body, read.getBody());
        assertEquals(UUID.fromString(SMS), read.getTemplateId());
        assertEquals(Optional.empty(), read.getEmailAddress());
        assertEquals(Optional.empty(), read.getSubject());
        assertTrue(Set.of("created", "sending", "pending", "sent", "delivered").contains(read.getStatus()), read.getStatus());
        Notification delivered = until("the text message being delivered", () -> {
            Notification now = CLIENT.getNotificationById(sent.getNotificationId().toString());
            return now.getStatus().equals("delivered") ? now : null;
        });
        assertTrue(delivered.getCompletedAt().isPresent());
        assertFalse(delivered.getCompletedAt().get().isBefore(delivered.getCreatedAt()));
        // The projection applies the provider's receipt and the sender's hand-over independently,
        // so sent_at can follow the delivered status by a moment.
        Notification handedOver = until("sent_at being set", () -> {
            Notification now = CLIENT.getNotificationById(sent.getNotificationId().toString());
            return now.getSentAt().isPresent() ? now : null;
        });
        assertFalse(handedOver.getSentAt().get().isBefore(handedOver.getCreatedAt()));
    }

    @Test
    @Order(2)
    void anEmailIsSentWithPersonalisationAReferenceAndAReplyToAddressId() throws Exception {
        SendEmailResponse sent = CLIENT.sendEmail(EMAIL, "someone@example.com", personalisation("name", "Bo"),
                "email-" + MARKER, env("NOTIFY_EMAIL_REPLY_TO_ID"));
        assertEquals(Optional.of("email-" + MARKER), sent.getReference());
        assertEquals("Hello Bo", sent.getSubject());
        assertTrue(sent.getBody().contains("Dear Bo."), sent.getBody());
        assertEquals(Optional.of(env("NOTIFY_EMAIL_FROM") + "@notifications.service.gov.uk"), sent.getFromEmail());
        assertEquals(Optional.empty(), sent.getOneClickUnsubscribeURL());
        assertEquals(UUID.fromString(EMAIL), sent.getTemplateId());
        SENT.put("email", sent.getNotificationId());

        Notification read = CLIENT.getNotificationById(sent.getNotificationId().toString());
        assertEquals("email", read.getNotificationType());
        assertEquals(Optional.of("someone@example.com"), read.getEmailAddress());
        assertEquals(Optional.of("Hello Bo"), read.getSubject());
        assertEquals(Optional.empty(), read.getPhoneNumber());
    }

    @Test
    @Order(3)
    void anEmailCarriesFilesPreparedWithPrepareUploadWithAndWithoutOptions() throws Exception {
        for (JSONObject file : List.of(
                NotificationClient.prepareUpload("name,score\nAda,1\n".getBytes(StandardCharsets.UTF_8),
                        "scores.csv", true, "4 weeks"),
                NotificationClient.prepareUpload(PDF))) {
            SendEmailResponse sent = CLIENT.sendEmail(FILE_EMAIL, "someone@example.com",
                    personalisation("link_to_file", file), null);
            Matcher link = Pattern.compile("Download it here: (\\S+)").matcher(sent.getBody());
            assertTrue(link.find(), sent.getBody());
            assertTrue(link.group(1).matches("^https?://.+"), link.group(1));
        }
    }

    @Test
    @Order(4)
    void aLetterFromATemplateIsSentWithItsAddressInThePersonalisation() throws Exception {
        SendLetterResponse sent = CLIENT.sendLetter(LETTER, personalisation("name", "Cy",
                "address_line_1", "Ada Lovelace", "address_line_2", "1 Street", "postcode", "SW1A 1AA"),
                "letter-" + MARKER);
        assertEquals(Optional.of("letter-" + MARKER), sent.getReference());
        assertEquals("Your letter, Cy", sent.getSubject());
        assertTrue(sent.getBody().contains("This is your letter."), sent.getBody());
        assertEquals(UUID.fromString(LETTER), sent.getTemplateId());
        SENT.put("letter", sent.getNotificationId());

        Notification read = CLIENT.getNotificationById(sent.getNotificationId().toString());
        assertEquals("letter", read.getNotificationType());
        assertEquals(Optional.of("Ada Lovelace"), read.getLine1());
        assertEquals(Optional.of("1 Street"), read.getLine2());
        assertEquals(Optional.of("SW1A 1AA"), read.getPostcode());
        assertEquals(Optional.of("second"), read.getPostage());
        assertTrue(read.getEstimatedDelivery().isPresent());
    }

    @Test
    @Order(5)
    void aPrecompiledLetterIsSentAsAPdfAndItsPdfReadBack() throws Exception {
        LetterResponse sent = CLIENT.sendPrecompiledLetterWithInputStream("pdf-" + MARKER,
                new java.io.ByteArrayInputStream(PDF), "first");
        assertEquals(Optional.of("pdf-" + MARKER), sent.getReference());
        assertEquals(Optional.of("first"), sent.getPostage());
        SENT.put("precompiled", sent.getNotificationId());

        Notification read = CLIENT.getNotificationById(sent.getNotificationId().toString());
        assertEquals("letter", read.getNotificationType());
        assertEquals(Optional.of("pdf-" + MARKER), read.getReference());
        assertEquals(Optional.of("first"), read.getPostage());
        assertArrayEquals(PDF, CLIENT.getPdfForLetter(sent.getNotificationId().toString()));
    }

    @Test
    @Order(6)
    void notificationsAreListedWithFiltersAndPagedWithOlderThanUntilNoneAreLeft() throws Exception {
        String reference = "batch-" + MARKER;
        List<UUID> newestFirst = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            newestFirst.add(0, CLIENT.sendSms(SMS, "07700900123", personalisation("name", "N" + i, "code", i),
                    reference).getNotificationId());
        }
        NotificationList listed = until("the batch being listed", () -> {
            NotificationList page = CLIENT.getNotifications(null, "sms", reference, null);
            return page.getNotifications().size() == 3 ? page : null;
        });
        assertEquals(newestFirst, listed.getNotifications().stream().map(Notification::getId).toList());
        for (Notification n : listed.getNotifications()) {
            assertEquals("sms", n.getNotificationType());
            assertEquals(Optional.of(reference), n.getReference());
        }
        assertEquals(URL + "/v2/notifications?template_type=sms&reference=" + reference, listed.getCurrentPageLink());

        NotificationList older = CLIENT.getNotifications(null, "sms", reference, newestFirst.get(0).toString());
        assertEquals(newestFirst.subList(1, 3), older.getNotifications().stream().map(Notification::getId).toList());
        NotificationList none = CLIENT.getNotifications(null, "sms", reference, newestFirst.get(2).toString());
        assertEquals(List.of(), none.getNotifications());
        assertEquals(Optional.empty(), none.getNextPageLink());

        List<Notification> emails = CLIENT.getNotifications(null, "email", null, null).getNotifications();
        assertTrue(emails.stream().allMatch(n -> n.getNotificationType().equals("email")));
        assertTrue(emails.stream().anyMatch(n -> n.getId().equals(SENT.get("email"))));
        List<UUID> letters = CLIENT.getNotifications(null, "letter", null, null).getNotifications().stream()
                .map(Notification::getId).toList();
        assertTrue(letters.containsAll(List.of(SENT.get("letter"), SENT.get("precompiled"))), letters.toString());

        until("the batch being delivered", () ->
                CLIENT.getNotifications("delivered", "sms", reference, null).getNotifications().size() == 3 ? true : null);
        assertEquals(List.of(), CLIENT.getNotifications("failed", "sms", reference, null).getNotifications());

        List<Notification> everything = allPages(olderThan -> {
            NotificationList page = CLIENT.getNotifications(null, null, null, olderThan);
            return new Page<>(page.getNotifications(), page.getNextPageLink());
        }, Notification::getId);
        List<UUID> everyId = everything.stream().map(Notification::getId).toList();
        assertEquals(everyId.size(), new HashSet<>(everyId).size(), "a notification was listed twice");
        assertTrue(everyId.containsAll(newestFirst));
        assertTrue(everyId.containsAll(SENT.values()));
        List<Notification> sorted = new ArrayList<>(everything);
        sorted.sort(Comparator.comparing(Notification::getCreatedAt).reversed());
        assertEquals(sorted.stream().map(Notification::getCreatedAt).toList(),
                everything.stream().map(Notification::getCreatedAt).toList(), "not newest first");
    }

    @Test
    @Order(7)
    void templatesAreReadByIdByIdAndVersionAndListedWithATypeFilter() throws Exception {
        Template sms = CLIENT.getTemplateById(SMS);
        assertEquals(UUID.fromString(SMS), sms.getId());
        assertEquals("sms", sms.getTemplateType());
        assertEquals("sms", sms.getName());
        assertEquals(1, sms.getVersion());
        assertEquals("Hello ((name)), your code is ((code)).", sms.getBody());
        assertEquals(Optional.empty(), sms.getSubject());
        Map<String, Object> required = Map.of("required", true);
        assertEquals(Optional.of(Map.of("name", required, "code", required)), sms.getPersonalisation());
        assertNotNull(sms.getCreatedAt());

        Template version = CLIENT.getTemplateVersion(EMAIL, 1);
        assertEquals(UUID.fromString(EMAIL), version.getId());
        assertEquals(1, version.getVersion());
        assertEquals("email", version.getTemplateType());
        assertEquals(Optional.of("Hello ((name))"), version.getSubject());

        TemplateList all = CLIENT.getAllTemplates(null);
        assertEquals(Set.of(SMS, EMAIL, FILE_EMAIL, LETTER),
                all.getTemplates().stream().map(t -> t.getId().toString()).collect(java.util.stream.Collectors.toSet()));
        TemplateList emails = CLIENT.getAllTemplates("email");
        assertEquals(Set.of(EMAIL, FILE_EMAIL),
                emails.getTemplates().stream().map(t -> t.getId().toString()).collect(java.util.stream.Collectors.toSet()));
        TemplateList letters = CLIENT.getAllTemplates("letter");
        assertEquals(List.of(UUID.fromString(LETTER)), letters.getTemplates().stream().map(Template::getId).toList());
    }

    @Test
    @Order(8)
    void templatesArePreviewedWithPersonalisation() throws Exception {
        TemplatePreview email = CLIENT.generateTemplatePreview(EMAIL, personalisation("name", "Di"));
        assertEquals(UUID.fromString(EMAIL), email.getId());
        assertEquals("email", email.getTemplateType());
        assertEquals(1, email.getVersion());
        assertEquals(Optional.of("Hello Di"), email.getSubject());
        assertTrue(email.getBody().contains("Dear Di."), email.getBody());
        assertTrue(email.getHtml().orElseThrow().contains("Welcome"));
        TemplatePreview sms = CLIENT.generateTemplatePreview(SMS, personalisation("name", "Di", "code", "9"));
        assertEquals("Hello Di, your code is 9.", sms.getBody());
        assertEquals(Optional.empty(), sms.getSubject());
        assertRefused(() -> CLIENT.generateTemplatePreview(SMS, personalisation("name", "Di")),
                400, "BadRequestError", "Missing personalisation: code");
    }

    @Test
    @Order(9)
    void receivedTextMessagesAreListedNewestFirstAndPagedWithOlderThan() throws Exception {
        int wanted = Integer.parseInt(env("NOTIFY_RECEIVED_TEXTS"));
        String marker = env("NOTIFY_RECEIVED_TEXT_MARKER");
        String number = env("NOTIFY_INBOUND_NUMBER");
        List<ReceivedTextMessage> texts = until("the received texts being listed", () -> {
            List<ReceivedTextMessage> page = CLIENT.getReceivedTextMessages(null).getReceivedTextMessages();
            return page.size() == wanted ? page : null;
        });
        List<String> expected = new ArrayList<>();
        for (int i = wanted - 1; i >= 0; i--) {
            expected.add(marker + " reply " + i);
        }
        assertEquals(expected, texts.stream().map(ReceivedTextMessage::getContent).toList());
        for (ReceivedTextMessage text : texts) {
            assertEquals(UUID.fromString(env("NOTIFY_SERVICE_ID")), text.getServiceId());
            assertEquals("447700900111", text.getUserNumber());
            assertEquals(number, text.getNotifyNumber());
            assertNotNull(text.getCreatedAt());
        }
        List<UUID> ids = texts.stream().map(ReceivedTextMessage::getId).toList();
        ReceivedTextMessageList older = CLIENT.getReceivedTextMessages(ids.get(0).toString());
        assertEquals(ids.subList(1, ids.size()), older.getReceivedTextMessages().stream().map(ReceivedTextMessage::getId).toList());
        List<ReceivedTextMessage> paged = allPages(olderThan -> {
            ReceivedTextMessageList page = CLIENT.getReceivedTextMessages(olderThan);
            return new Page<>(page.getReceivedTextMessages(), page.getNextPageLink());
        }, ReceivedTextMessage::getId);
        assertEquals(ids, paged.stream().map(ReceivedTextMessage::getId).toList());
    }

    @Test
    @Order(10)
    void validationErrorsAre400sInNotifysShape() {
        assertRefused(() -> CLIENT.sendSms(SMS, "12", personalisation("name", "A", "code", 1), null),
                400, "ValidationError", "phone_number Not enough digits");
        assertRefused(() -> CLIENT.sendSms(SMS, "07700900123", personalisation("name", "A"), null),
                400, "BadRequestError", "Missing personalisation: code");
        assertRefused(() -> CLIENT.sendEmail(SMS, "a@example.com", personalisation("name", "A"), null),
                400, "BadRequestError", "sms template is not suitable for email notification");
        assertRefused(() -> CLIENT.getNotificationById("not-a-uuid"),
                400, "ValidationError", "notification_id is not a valid UUID");
    }

    @Test
    @Order(11)
    void aWrongApiKeyIsA403() {
        String key = env("NOTIFY_API_KEY");
        NotificationClient wrong = new NotificationClient(key.substring(0, key.length() - 36) + UUID.randomUUID(), URL);
        assertRefused(() -> wrong.getNotifications(null, null, null, null),
                403, "AuthError", "Invalid token: API key not found");
    }

    @Test
    @Order(12)
    void whatDoesNotExistIsA404() {
        String missing = UUID.randomUUID().toString();
        assertRefused(() -> CLIENT.getNotificationById(missing), 404, "NoResultFound", "No result found");
        assertRefused(() -> CLIENT.getTemplateById(missing), 404, "NoResultFound", "No result found");
        assertRefused(() -> CLIENT.getPdfForLetter(missing), 404, "NoResultFound", "No result found");
    }

    @Test
    @Order(13)
    void aServiceOverItsDailyLimitGetsA429() throws Exception {
        NotificationClient limited = new NotificationClient(env("NOTIFY_LIMITED_API_KEY"), URL);
        String template = env("NOTIFY_LIMITED_SMS_TEMPLATE_ID");
        Map<String, Object> values = personalisation("name", "L", "code", 1);
        assertNotNull(limited.sendSms(template, "07700900123", values, null).getNotificationId());
        assertRefused(() -> limited.sendSms(template, "07700900123", values, null),
                429, "TooManyRequestsError", "Exceeded send limits (sms: 1) for today");
    }
}
