package core

// Strings are the widget's texts in one language.
type Strings struct {
	// A func field makes Strings not comparable, so the compiler writes
	// no equality function for it (2.8 kB of the module).
	_    [0]func()
	Lang string
	// Prompts are the questions above each kind of answer, in the order
	// of askNames; Prompt looks one up. An array, not a map: a map
	// literal makes texts a table built by code at start-up (5 kB of code)
	// rather than data.
	Prompts [6]string
	// Star and Stars label one star and n stars ("{n}" is replaced).
	Star, Stars string
	// Emoji labels the five emoji, worst first.
	Emoji [5]string
	// CSAT labels the five CSAT answers, worst first.
	CSAT [5]string
	// Yes and No label thumbs up and down.
	Yes, No string
	// Low and High name the ends of the NPS scale; Hard and Easy of CES.
	Low, High, Hard, Easy         string
	Comment, Send, Thanks, Choose string
	// Feedback labels the floating button and titles its dialog; Close
	// labels the dialog's close button.
	Feedback, Close string
}

var texts = [...]Strings{{
	Lang:    "en",
	Prompts: [6]string{"How would you rate it?", "How do you feel about it?", "Was this helpful?", "How likely are you to recommend us to a friend?", "How satisfied are you?", "How easy was it?"},
	Star:    "1 star", Stars: "{n} stars",
	Emoji: [5]string{"Very bad", "Bad", "Okay", "Good", "Great"},
	CSAT:  [5]string{"Very unsatisfied", "Unsatisfied", "Neutral", "Satisfied", "Very satisfied"},
	Yes:   "Yes", No: "No", Low: "Not at all likely", High: "Extremely likely", Hard: "Very difficult", Easy: "Very easy",
	Comment: "Comment (optional)", Send: "Send", Thanks: "Thanks for your feedback!", Choose: "Choose an answer or write a comment first.",
	Feedback: "Feedback", Close: "Close",
}, {
	Lang:    "pt",
	Prompts: [6]string{"Como você avalia?", "O que você achou?", "Isso foi útil?", "Qual a probabilidade de você nos recomendar a um amigo?", "Qual o seu nível de satisfação?", "Quão fácil foi?"},
	Star:    "1 estrela", Stars: "{n} estrelas",
	Emoji: [5]string{"Muito ruim", "Ruim", "Regular", "Bom", "Ótimo"},
	CSAT:  [5]string{"Muito insatisfeito", "Insatisfeito", "Neutro", "Satisfeito", "Muito satisfeito"},
	Yes:   "Sim", No: "Não", Low: "Nada provável", High: "Muito provável", Hard: "Muito difícil", Easy: "Muito fácil",
	Comment: "Comentário (opcional)", Send: "Enviar", Thanks: "Obrigado pela sua opinião!", Choose: "Escolha uma resposta ou escreva um comentário.",
	Feedback: "Opinião", Close: "Fechar",
}, {
	Lang:    "es",
	Prompts: [6]string{"¿Cómo lo calificarías?", "¿Qué te pareció?", "¿Te resultó útil?", "¿Qué probabilidad hay de que nos recomiendes a un amigo?", "¿Qué tan satisfecho estás?", "¿Qué tan fácil fue?"},
	Star:    "1 estrella", Stars: "{n} estrellas",
	Emoji: [5]string{"Muy mal", "Mal", "Regular", "Bien", "Genial"},
	CSAT:  [5]string{"Muy insatisfecho", "Insatisfecho", "Neutral", "Satisfecho", "Muy satisfecho"},
	Yes:   "Sí", No: "No", Low: "Nada probable", High: "Muy probable", Hard: "Muy difícil", Easy: "Muy fácil",
	Comment: "Comentario (opcional)", Send: "Enviar", Thanks: "¡Gracias por tu opinión!", Choose: "Elige una respuesta o escribe un comentario.",
	Feedback: "Opinión", Close: "Cerrar",
}}

// askNames are the questions of data-rastro-ask, in the order of
// Strings.Prompts.
var askNames = [...]string{"stars", "emoji", "thumbs", "nps", "csat", "ces"}

// Prompt returns the question above answers of kind ask (an Ask.Name).
func (s *Strings) Prompt(ask string) string {
	for i, n := range askNames {
		if n == ask {
			return s.Prompts[i]
		}
	}
	return ""
}

// StringsFor returns the texts for a BCP 47 language tag ("pt-BR" -> pt),
// English when the language is not one of pt, es, en.
func StringsFor(lang string) *Strings {
	base := lowerASCII(lang)
	for i := 0; i < len(base); i++ {
		if base[i] == '-' || base[i] == '_' {
			base = base[:i]
			break
		}
	}
	for i := range texts {
		if texts[i].Lang == base {
			return &texts[i]
		}
	}
	return &texts[0]
}

// StarLabel labels n stars.
func (s *Strings) StarLabel(n int) string {
	if n == 1 {
		return s.Star
	}
	for i := 0; i+3 <= len(s.Stars); i++ {
		if s.Stars[i:i+3] == "{n}" {
			return s.Stars[:i] + itoa(n) + s.Stars[i+3:]
		}
	}
	return s.Stars
}

func itoa(n int) string {
	if n >= 0 && n < 10 {
		return string(rune('0' + n))
	}
	if n == 10 {
		return "10"
	}
	return "?"
}

// Ask is one question of a touchpoint: its name as written in
// data-rastro-ask, the event kind it produces and the values it offers.
type Ask struct {
	Name     string
	Kind     string
	Min, Max int
}

// ParseAsks reads data-rastro-ask ("stars comment"); unknown names are
// returned in bad. An empty attribute asks for stars.
func ParseAsks(attr string) (asks []Ask, comment bool, bad []string) {
	for _, f := range fields(attr) {
		switch f {
		case "stars", "star":
			asks = append(asks, Ask{"stars", "star", 1, 5})
		case "emoji":
			asks = append(asks, Ask{"emoji", "emoji", 1, 5})
		case "thumbs":
			asks = append(asks, Ask{"thumbs", "thumbs", 0, 1})
		case "nps":
			asks = append(asks, Ask{"nps", "nps", 0, 10})
		case "csat":
			asks = append(asks, Ask{"csat", "csat", 1, 5})
		case "ces":
			asks = append(asks, Ask{"ces", "ces", 1, 7})
		case "comment":
			comment = true
		default:
			bad = append(bad, f)
		}
	}
	if len(asks) == 0 && !comment {
		asks = append(asks, Ask{"stars", "star", 1, 5})
	}
	return asks, comment, bad
}

// NeedsSubmit reports whether a touchpoint shows a send button: with a
// comment or several questions. A single question sends on selection.
func NeedsSubmit(asks []Ask, comment bool) bool { return comment || len(asks) > 1 }

// Height is the block size in CSS pixels a touchpoint reserves, so the page
// does not shift when the widget renders. The loader computes the same.
func Height(asks []Ask, comment bool) int {
	h := 18
	for _, a := range asks {
		h += 72
		if a.Name == "nps" || a.Name == "ces" {
			h += 18
		}
	}
	if comment {
		h += 98
	}
	if NeedsSubmit(asks, comment) {
		h += 36
	}
	return h
}
