using System.Text;

namespace MailServerless.ConformanceTests.Imap.Differential;

/// <summary>
/// Messages shaped like real-world mail, made by combining every header section below with every body below
/// (12 × 22 = 264): display names plain, RFC 2047-encoded and raw 8-bit, comments, source routes, groups, a bare
/// local part, missing and repeated fields; single parts in several charsets and encodings, alternatives,
/// attachments with RFC 2047 and RFC 2231 parameters, nested multiparts, attached messages, reports, signed
/// mail, and broken MIME (no boundary, no closing boundary, a boundary that never comes), with and without a
/// final newline. Stored as Dovecot stores mail: line ends LF.
/// </summary>
internal static class ImapCorpus
{
    public static IEnumerable<byte[]> Messages()
    {
        for (var h = 0; h < Headers.Length; h++)
        {
            for (var b = 0; b < Bodies.Length; b++)
            {
                var text = Headers[h] + $"X-Corpus: h{h} b{b}\n" + Bodies[b];
                // h11's Subject is ISO-8859-1 on purpose: raw 8-bit that is not UTF-8.
                yield return h == 11 ? Encoding.Latin1.GetBytes(text) : Encoding.UTF8.GetBytes(text);
            }
        }
    }

    private static readonly string[] Headers =
    [
        // h0: the plainest mail.
        "From: alice@example.org\nTo: bob@example.jp\nSubject: Meeting tomorrow\nDate: Mon, 2 Nov 2026 09:15:00 +0900\nMessage-ID: <h0@example.org>\n",
        // h1: display names, several recipients, Cc.
        "From: \"Alice Example\" <alice@example.org>\nTo: Bob <bob@example.jp>, carol@example.jp\nCc: dave@example.net\nSubject: Re: Meeting tomorrow\nDate: Tue, 3 Nov 2026 10:00:00 +0000\nMessage-ID: <h1@example.org>\nIn-Reply-To: <h0@example.org>\n",
        // h2: RFC 2047 display names and subject (UTF-8 B, ISO-2022-JP B).
        "From: =?UTF-8?B?5bGx55Sw5aSq6YOO?= <taro@example.jp>\nTo: =?ISO-2022-JP?B?GyRCO1NFRBsoQg==?= <sato@example.jp>\nSubject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\nDate: Wed, 4 Nov 2026 08:00:00 +0900\nMessage-ID: <h2@example.jp>\n",
        // h3: raw 8-bit UTF-8 in a display name and the subject.
        "From: 山田 太郎 <taro@example.jp>\nTo: \"佐藤 花子\" <hanako@example.jp>\nSubject: 日本語の件名\nDate: Thu, 5 Nov 2026 12:30:00 +0900\nMessage-ID: <h3@example.jp>\n",
        // h4: comments inside an address, a quoted local part.
        "From: user-from (comment)@ (comment) domain.org\nTo: \"quoted local\"@example.jp, (only a comment) eve@example.jp\nSubject: comments\nDate: Fri, 6 Nov 2026 07:00:00 -0500 (EST)\nMessage-ID: <h4@domain.org>\n",
        // h5: source routes.
        "From: Route User <@route.example,@other.example:user@domain.example>\nSender: <@route:sender@example.org>\nTo: rcpt@example.jp\nSubject: routed\nDate: Sat, 7 Nov 2026 00:00:00 +0000\nMessage-ID: <h5@domain.example>\n",
        // h6: a bare local part, an empty group, an empty Cc.
        "From: d\nTo: undisclosed-recipients:;\nCc: \nSubject: bare\nDate: Sun, 8 Nov 2026 23:59:59 +1400\nMessage-ID: <h6@example.net>\n",
        // h7: groups with members, an empty group in Bcc.
        "From: list@example.org\nTo: Team: a@example.jp, \"B Person\" <b@example.jp>;, c@example.jp\nBcc: Empty:;\nSubject: groups\nDate: Mon, 9 Nov 2026 01:02:03 +0100\nMessage-ID: <h7@example.org>\n",
        // h8: Reply-To, Sender, References, a subject folded over three lines.
        "From: Boss <boss@example.com>\nSender: Secretary <sec@example.com>\nReply-To: replies@example.com\nTo: staff@example.jp\nSubject: A long subject that is folded\n over more than one line\n\tand a tab\nDate: Tue, 10 Nov 2026 11:11:11 +0000\nMessage-ID: <h8@example.com>\nIn-Reply-To: <h7@example.org> (comment)\nReferences: <h0@example.org> <h7@example.org>\n",
        // h9: no Date, no Message-ID, no From; an encoded word folded.
        "To: nobody@example.jp\nSubject: =?UTF-8?Q?caf=C3=A9?=\n =?UTF-8?Q?_cr=C3=A8me?=\n",
        // h10: repeated fields, odd case, extension fields.
        "FROM: first@example.org\nFrom: second@example.org\nsubject: lower case name\nSubject: second subject\nTo: x@example.jp\nDate: 12 Nov 2026 13:14:15 GMT\nX-Mailer: corpus\nMessage-Id: <h10@example.org>\n",
        // h11: ISO-8859-1 8-bit subject, ISO-8859-1 Q display name.
        "From: =?iso-8859-1?q?J=F6rg?= <joerg@example.de>\nTo: Günter <guenter@example.de>\nSubject: Grüße aus Köln\nDate: Fri, 13 Nov 2026 14:00:00 +0100\nMessage-ID: <h11@example.de>\n",
    ];

    private static readonly string[] Bodies =
    [
        // b0: no MIME at all.
        "\nHello Bob,\nsee you tomorrow.\n",
        // b1: no final newline.
        "\nNo final newline here",
        // b2: UTF-8 8bit.
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nこんにちは、世界。\n二行目です。\n",
        // b3: ISO-2022-JP.
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n\u001b$B$3$s$K$A$O\u001b(B\n",
        // b4: quoted-printable HTML with a soft break.
        "MIME-Version: 1.0\nContent-Type: text/html; charset=\"us-ascii\"\nContent-Transfer-Encoding: quoted-printable\n\n<html><body><p>soft=\nbreak and caf=E9</p></body></html>\n",
        // b5: alternative.
        "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"alt-1\"\n\n--alt-1\nContent-Type: text/plain; charset=us-ascii\n\nPlain version\n--alt-1\nContent-Type: text/html; charset=us-ascii\n\n<p>HTML version</p>\n--alt-1--\n",
        // b6: an attachment named with RFC 2047 words.
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=mix\n\n--mix\nContent-Type: text/plain\n\nSee attachment.\n--mix\nContent-Type: application/pdf; name=\"=?UTF-8?Q?R=C3=A9sum=C3=A9.pdf?=\"\nContent-Disposition: attachment; filename=\"=?UTF-8?Q?R=C3=A9sum=C3=A9.pdf?=\"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK\n--mix--\n",
        // b7: RFC 2231 parameters: extended and continued.
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"2231\"\n\n--2231\nContent-Type: text/plain; charset=us-ascii\n\nattachment follows\n--2231\nContent-Type: application/octet-stream; name*0=\"very long \"; name*1=\"name.bin\"\nContent-Disposition: attachment; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf\nContent-Transfer-Encoding: base64\n\nAAECAwQFBgcICQ==\n--2231--\n",
        // b8: an attached message whose body holds the word the search looks for.
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"fwd\"\n\n--fwd\nContent-Type: text/plain\n\nForwarded message below.\n--fwd\nContent-Type: message/rfc822\n\nFrom: inner@example.net\nTo: someone@example.jp\nSubject: inner subject\nDate: Mon, 2 Nov 2026 00:00:00 +0000\n\nThe inner body holds innerneedle.\n--fwd--\n",
        // b9: an attached message that is multipart itself.
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"outer\"\n\n--outer\nContent-Type: text/plain\n\nSee the attached.\n--outer\nContent-Type: message/rfc822; name=\"inner.eml\"\nContent-Disposition: attachment; filename=\"inner.eml\"\n\nFrom: \"Inner\" <inner@example.net>\nSubject: =?UTF-8?B?5YaF5YG0?=\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"in\"\n\n--in\nContent-Type: text/plain; charset=utf-8\n\ndeepneedle plain\n--in\nContent-Type: text/html; charset=utf-8\n\n<b>deepneedle html</b>\n--in--\n--outer--\n",
        // b10: mixed → related → alternative, with an inline image and a zip.
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"m\"\n\n--m\nContent-Type: multipart/related; boundary=\"r\"; type=\"multipart/alternative\"\n\n--r\nContent-Type: multipart/alternative; boundary=\"a\"\n\n--a\nContent-Type: text/plain; charset=utf-8\n\ntext\n--a\nContent-Type: text/html; charset=utf-8\n\n<img src=\"cid:img1@example\">\n--a--\n--r\nContent-Type: image/png\nContent-ID: <img1@example>\nContent-Disposition: inline\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--r--\n--m\nContent-Type: application/zip; name=files.zip\nContent-Transfer-Encoding: base64\n\nUEsDBAo=\n--m--\n",
        // b11: a delivery report.
        "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"rep\"\n\n--rep\nContent-Type: text/plain\n\nYour message could not be delivered.\n--rep\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.jp\n\nFinal-Recipient: rfc822; gone@example.jp\nAction: failed\nStatus: 5.1.1\n--rep\nContent-Type: text/rfc822-headers\n\nFrom: alice@example.org\nSubject: lost\n--rep--\n",
        // b12: multipart without a boundary parameter.
        "MIME-Version: 1.0\nContent-Type: multipart/mixed\n\n--nob\nContent-Type: text/plain\n\nno boundary given\n--nob--\n",
        // b13: no closing boundary.
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"open\"\n\n--open\nContent-Type: text/plain\n\nfirst\n--open\nContent-Type: text/plain\n\nsecond, never closed\n",
        // b14: a boundary that never appears.
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"never\"\n\nThis body has no parts at all.\n",
        // b15: a Content-Type without a subtype, and one with junk parameters.
        "MIME-Version: 1.0\nContent-Type: text\nContent-Transfer-Encoding: 7bit\n\nsubtype missing\n",
        // b16: preamble, epilogue, every descriptive part field.
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"d\"\n\nThis is the preamble.\n--d\nContent-Type: text/plain; charset=us-ascii\nContent-ID: <part1@example>\nContent-Description: partheaderword description\nContent-Language: en, ja\nContent-Location: http://example.org/part1\nContent-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n\npart one\n--d\nContent-Type: text/plain; charset=us-ascii\nContent-Disposition: inline; filename=notes.txt; size=10\n\npart two\n--d--\nThis is the epilogue.\n",
        // b17: a header only, no body and no empty line.
        "",
        // b18: long lines.
        "\n" + new string('x', 2000) + "\n" + string.Concat(Enumerable.Repeat("word ", 400)) + "\n",
        // b19: a forwarded message as the whole body, its own body without a final newline.
        "MIME-Version: 1.0\nContent-Type: message/rfc822\n\nFrom: fwd@example.net\nTo: target@example.jp\nSubject: whole forward\nMessage-ID: <inner19@example.net>\n\nforwarded body without newline",
        // b20: signed mail.
        "MIME-Version: 1.0\nContent-Type: multipart/signed; micalg=pgp-sha256;\n protocol=\"application/pgp-signature\"; boundary=\"sig\"\n\n--sig\nContent-Type: text/plain; charset=us-ascii\n\nsigned text\n--sig\nContent-Type: application/pgp-signature; name=\"signature.asc\"\nContent-Description: OpenPGP digital signature\n\n-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n--sig--\n",
        // b21: upper-case parameter names, flowed text in base64 holding a search word.
        "MIME-Version: 1.0\nContent-Type: TEXT/PLAIN; CHARSET=UTF-8; format=flowed; delsp=yes\nContent-Transfer-Encoding: BASE64\n\nYmFzZTY0bmVlZGxlIGluIGEgZmxvd2VkIHRleHQK\n",
    ];
}
